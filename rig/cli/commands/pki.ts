import { cp, mkdir, chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { buildPki } from '../../pki/index.ts';
import { resolveVariant } from '../../scenario/resolve.ts';
import { context, resolveScenarioArgs, variantArg } from './context.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';

export const pkiCommand = command(
  {
    name: 'pki',
    usage: 'rig pki SCENARIO --out DIR [--variant NAME] [--broker-ip ADDR]',
    summary:
      'Make the certificates and keys a scenario describes, with a summary of each; keys go to DIR/private (0700).',
    options: {
      out: { type: 'string', help: 'Output folder' },
      variant: { type: 'string', help: 'Variant whose PKI changes apply (default: the first)' },
      'broker-ip': { type: 'string', help: 'Value of {{broker.ip}}', default: '127.0.0.1' },
    },
  },
  async (p) => {
    const outArg = str(p, 'out');
    if (p.positionals.length !== 1 || !outArg) throw new UsageError('give one scenario and --out DIR');
    const out = path.resolve(outArg);
    const { paths, boards } = await context();
    const [loaded] = await loadRunnableScenarios(await resolveScenarioArgs(p.positionals, paths), boards);
    const s = loaded!.scenario;
    const variant = variantArg(s, str(p, 'variant'));
    const vars = { 'broker.ip': str(p, 'broker-ip') ?? '127.0.0.1' };
    const rv = resolveVariant(s, variant, vars);
    const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(paths.cache, 'pki') });
    await mkdir(path.join(out, 'private'), { recursive: true });
    await chmod(path.join(out, 'private'), 0o700);
    for (const c of Object.values(pki.certs)) {
      await cp(c.crt, path.join(out, `${c.name}.crt`));
      if (c.key) {
        const k = path.join(out, 'private', `${c.name}.key`);
        await cp(c.key, k);
        await chmod(k, 0o600);
      }
    }
    const summaries = Object.values(pki.certs).map((c) => c.summary);
    await writeFile(path.join(out, 'summary.json'), `${JSON.stringify(summaries, null, 2)}\n`);
    process.stdout.write(
      `${s.id} (${variant}): ${pki.cached ? 'from cache' : 'generated'} ${pki.hash.slice(0, 12)} → ${outArg}\n`,
    );
    for (const c of summaries) {
      process.stdout.write(
        `  ${c.name.padEnd(14)} v${c.version} ${c.key.padEnd(9)} ${c.signature.padEnd(24)} subject=${c.subject}  issuer=${c.issuer}\n`,
      );
      process.stdout.write(
        `  ${''.padEnd(14)} ${c.notBefore} → ${c.notAfter}${c.san.length ? `  SAN ${c.san.join(', ')}` : ''}${c.isCA ? '  CA' : ''}\n`,
      );
    }
    return EXIT.ok;
  },
);
