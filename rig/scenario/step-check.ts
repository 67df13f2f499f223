// Cross-checks of a scenario's steps the schema cannot express: names unique, certificates a rotation or revocation
// names exist, a password change only on a broker with users, expect.*.*.failingStep naming a step the variant
// really has, and steps only where a board can run them.
import type { PathProblem } from '../format/index.ts';
import type { Scenario } from './schema.ts';
import { stepName, type Step } from './steps.ts';

/** The steps a variant runs: its own, else the scenario's. */
export function variantSteps(s: Scenario, variant: string): Step[] {
  return s.variants[variant]?.steps ?? s.steps ?? [];
}

export function stepProblems(s: Scenario, known: (name: string) => boolean): PathProblem[] {
  const out: PathProblem[] = [];
  const lists: [(string | number)[], Step[] | undefined][] = [
    [['steps'], s.steps],
    ...Object.entries(s.variants).map(([n, v]): [(string | number)[], Step[] | undefined] => [
      ['variants', n, 'steps'],
      v.steps,
    ]),
  ];
  for (const [at, steps] of lists) {
    const seen = new Set<string>();
    steps?.forEach((st, i) => {
      const name = stepName(st, i);
      if (seen.has(name)) out.push({ path: [...at, i, 'name'], message: `a second step named "${name}"` });
      seen.add(name);
      for (const k of ['cert', 'ca'] as const) {
        const n = st.rotate?.[k];
        if (n && !known(n)) out.push({ path: [...at, i, 'rotate', k], message: `no certificate named "${n}" in pki` });
      }
      if (st.reconfigure?.password && !hasUsers(s, at))
        out.push({
          path: [...at, i, 'reconfigure', 'password'],
          message: 'a password change needs a broker with users (broker.users: a password file)',
        });
      if (st.revoke !== undefined && !known(st.revoke))
        out.push({ path: [...at, i, 'revoke'], message: `no certificate named "${st.revoke}" in pki` });
    });
  }
  for (const [v, boards] of Object.entries(s.expect)) {
    const names = variantSteps(s, v).map(stepName);
    for (const [b, e] of Object.entries(boards)) {
      if (e.failingStep !== undefined && !names.includes(e.failingStep))
        out.push({
          path: ['expect', v, b, 'failingStep'],
          message: names.length
            ? `no step named "${e.failingStep}" in variant ${v} (have: ${names.join(', ')})`
            : `variant ${v} has no steps`,
        });
    }
  }
  return out;
}

/** Whether every broker these steps run on has users: a variant's own steps run on its broker; the scenario's
 * steps on the broker of each variant without steps of its own. */
function hasUsers(s: Scenario, at: (string | number)[]): boolean {
  const usersOf = (v: string | undefined): boolean =>
    Object.keys((v !== undefined ? s.variants[v]?.broker?.users : undefined) ?? s.broker.users ?? {}).length > 0;
  if (at[0] === 'variants') return usersOf(String(at[1]));
  const sharing = Object.keys(s.variants).filter((v) => !s.variants[v]?.steps);
  return sharing.length ? sharing.every(usersOf) : usersOf(undefined);
}
