import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { str, UsageError } from '../args.ts';
import { buildPki } from '../../pki/index.ts';
import { startBroker, type BrokerProvider } from '../../broker/index.ts';
import { resolveVariant } from '../../scenario/resolve.ts';
import { context, loadScenarios, resolveScenarioArgs } from './context.ts';

export const brokerCommand = command({
  name: 'broker',
  usage: 'rig broker SCENARIO [--variant NAME] [--broker local|container|auto]',
  summary: 'Start the scenario\'s Mosquitto in the foreground, print how to reach it and a control command to paste; Ctrl-C stops it.',
  options: {
    variant: { type: 'string', help: 'Variant (default: the first)' },
    broker: { type: 'string', help: 'Provider: local, container or auto', default: 'local' },
  },
}, async (p) => {
  if (p.positionals.length !== 1) throw new UsageError('give one scenario');
  const provider = (str(p, 'broker') ?? 'local') as BrokerProvider;
  if (!['local', 'container', 'auto'].includes(provider)) throw new UsageError(`--broker must be local, container or auto`);
  const { paths } = await context();
  const [loaded] = await loadScenarios(await resolveScenarioArgs(p.positionals, paths));
  const s = loaded!.scenario;
  const variant = str(p, 'variant') ?? Object.keys(s.variants)[0]!;
  const vars = { 'broker.ip': '127.0.0.1' };
  const rv = resolveVariant(s, variant, vars);
  const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(paths.cache, 'pki') });
  const workDir = await mkdtemp(path.join(os.tmpdir(), `rig-broker-${s.id}-`));
  const broker = await startBroker(rv.broker, pki, { provider, workDir, vars });
  const out = process.stdout;
  out.write(`Mosquitto ${broker.version} (${broker.provider}) for ${s.id}/${variant}, ready in ${broker.readyMs} ms\n`);
  out.write(`  conf: ${broker.confFile}\n  log:  ${broker.logFile}\n`);
  for (const n of broker.confNotes) out.write(`  note: ${n}\n`);
  for (const l of rv.broker.listeners ?? []) {
    out.write(`  listener ${l.port}${l.tls ? ' (TLS)' : ''} → ${broker.host}:${broker.ports[l.port]}\n`);
  }
  const c = rv.client;
  const port = broker.ports[c.port] ?? c.port;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const common = ['-h', broker.host, '-p', String(port)];
  if (listener?.tls !== undefined || !listener) {
    if (c.ca) common.push('--cafile', pki.certs[c.ca]!.crt);
    if (c.cert) common.push('--cert', pki.certs[c.cert]!.crt, '--key', pki.certs[c.cert]!.keyPlain ?? pki.certs[c.cert]!.key ?? '');
    // The broker listens on this host; the certificate names the board's view of it, so skip the name check.
    if (c.insecure || c.connect !== broker.host) common.push('--insecure');
  }
  if (c.username) common.push('-u', c.username, '-P', "'<password from the scenario>'");
  out.write(`\nControl commands:\n  mosquitto_sub ${common.join(' ')} -t '${c.topic}/#' -v\n`);
  out.write(`  mosquitto_pub ${common.join(' ')} -t '${c.topic}/up' -m hello\n\nCtrl-C stops the broker.\n`);
  const stopLog = broker.onLine((l) => out.write(`broker| ${l}\n`));
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  stopLog();
  await broker.stop();
  out.write('broker stopped\n');
  return EXIT.ok;
});
