import path from 'node:path';
import { rm } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { buildPki } from '../../pki/index.ts';
import { startBroker, type BrokerProvider } from '../../broker/index.ts';
import { brokerWorkDir, sweepStaleWorkDirsOnce } from '../../broker/workdir.ts';
import { resolveVariant } from '../../scenario/resolve.ts';
import { nextInterrupt } from '../../process/index.ts';
import { controlCommands } from './control-commands.ts';
import { context, resolveScenarioArgs, variantArg } from './context.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';

export const brokerCommand = command(
  {
    name: 'broker',
    usage: 'rig broker SCENARIO [--variant NAME] [--broker local|container|auto]',
    summary:
      "Start the scenario's Mosquitto in the foreground, print how to reach it and a control command to paste; Ctrl-C stops it.",
    options: {
      variant: { type: 'string', help: 'Variant (default: the first)' },
      broker: { type: 'string', help: 'Provider: local, container or auto', default: 'local' },
    },
  },
  async (p) => {
    if (p.positionals.length !== 1) throw new UsageError('give one scenario');
    const provider = (str(p, 'broker') ?? 'local') as BrokerProvider;
    if (!['local', 'container', 'auto'].includes(provider))
      throw new UsageError(`--broker must be local, container or auto`);
    const { paths, boards } = await context();
    const [loaded] = await loadRunnableScenarios(await resolveScenarioArgs(p.positionals, paths), boards);
    const s = loaded!.scenario;
    const variant = variantArg(s, str(p, 'variant'));
    const vars = { 'broker.ip': '127.0.0.1' };
    const rv = resolveVariant(s, variant, vars);
    const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(paths.cache, 'pki') });
    await sweepStaleWorkDirsOnce();
    const workDir = await brokerWorkDir(`rig-broker-${s.id}-`);
    const broker = await startBroker(rv.broker, pki, { provider, workDir, vars });
    const out = process.stdout;
    out.write(
      `Mosquitto ${broker.version} (${broker.provider}) for ${s.id}/${variant}, ready in ${broker.readyMs} ms\n`,
    );
    out.write(`  conf: ${broker.confFile}\n  log:  ${broker.logFile}\n`);
    for (const n of broker.confNotes) out.write(`  note: ${n}\n`);
    for (const l of rv.broker.listeners ?? []) {
      out.write(`  listener ${l.port}${l.tls ? ' (TLS)' : ''} → ${broker.host}:${broker.ports[l.port]}\n`);
    }
    const c = rv.client;
    const listener = rv.broker.listeners?.find((l) => l.port === c.port);
    const cmds = controlCommands({
      client: c,
      host: broker.host,
      port: broker.ports[c.port] ?? c.port,
      // A verbatim conf's listener is taken to be TLS, as the scenarios' confs are.
      tls: rv.broker.conf !== undefined || listener?.tls !== undefined,
      ...(c.ca ? { ca: pki.certs[c.ca]! } : {}),
      ...(c.cert ? { cert: pki.certs[c.cert]! } : {}),
      resolvesHere: await resolvesTo(c.connect, broker.host),
      passwordField: `${s.variants[variant]?.password !== undefined ? `variants.${variant}.password` : 'client.password'} in ${path.relative(process.cwd(), loaded!.file)}`,
    });
    out.write('\nControl commands (they check the certificate as the board does):\n');
    for (const n of cmds.notes) out.write(`  note: ${n}\n`);
    out.write(`  ${cmds.sub}\n  ${cmds.pub}\n`);
    if (cmds.check) out.write(`  ${cmds.check}\n`);
    out.write('\nCtrl-C stops the broker.\n');
    const stopLog = broker.onLine((l) => out.write(`broker| ${l}\n`));
    await nextInterrupt();
    stopLog();
    await broker.stop();
    // The folder holds the server key and the password file; a killed rig leaves it for the next one to sweep.
    await rm(workDir, { recursive: true, force: true });
    out.write('broker stopped\n');
    return EXIT.ok;
  },
);

/** Whether a name resolves to the broker's address on this machine (an address, or a slow resolver, counts as no). */
async function resolvesTo(name: string, address: string): Promise<boolean> {
  const timeout = new Promise<[]>((resolve) => {
    setTimeout(() => resolve([]), 2000).unref();
  });
  const found = await Promise.race([lookup(name, { all: true }).catch(() => []), timeout]);
  return found.some((a) => a.address === address);
}
