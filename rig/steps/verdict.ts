// What a cell's steps say about its verdict, given the step the expectation knows to fail (a regression variant).
import type { StepResult } from '../results/schema.ts';

/** Failures for the judge: none when the steps went as expected. */
export function stepsVerdict(
  steps: StepResult[],
  failingStep: string | undefined,
): { failures: string[]; skip?: string } {
  const bad = steps.find((s) => s.status === 'fail' || s.status === 'skip');
  const where = (s: StepResult): string => `step "${s.name}"${s.line ? ` (line ${s.line})` : ''} ${s.what}`;
  if (bad?.status === 'skip') return { failures: [], skip: `${where(bad)}: ${bad.detail ?? 'unsupported here'}` };
  if (failingStep === undefined)
    return {
      failures: bad ? [`${where(bad)} failed at ${Math.round(bad.atMs)} ms board time: ${bad.detail ?? ''}`] : [],
    };
  if (!bad) {
    const s = steps.find((x) => x.name === failingStep);
    return {
      failures: [`${s ? where(s) : `step "${failingStep}"`} was expected to fail (a known regression) but held`],
    };
  }
  if (bad.name !== failingStep)
    return {
      failures: [
        `${where(bad)} failed (${bad.detail ?? ''}), before or instead of the expected failing step "${failingStep}"`,
      ],
    };
  return { failures: [] };
}
