// `rig diagnose`: run the user's own certificates (and mosquitto.conf) on every board's twin and explain.
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool, int, list, str, UsageError } from '../args.ts';
import { createProgress } from '../../runner/progress.ts';
import { context } from './context.ts';
import { DEFAULT_BOARDS, diagnose } from '../../diagnose/index.ts';
import { formatDiagnosis } from '../../diagnose/format.ts';

export const command_ = command({
  name: 'diagnose',
  usage: 'rig diagnose --ca ca.crt --cert server.crt --key server.key [--client-cert c.crt --client-key c.key] [--conf mosquitto.conf] --connect HOST [--boards esp32,esp8266,mkr1000,control] [--json]',
  summary: 'Run your own broker certificates (and conf) against each board\'s twin and the PC controls, and explain each failure with the smallest fix.',
  options: {
    ca: { type: 'string', help: 'CA certificate the board is given (omit: the board gets none)' },
    cert: { type: 'string', help: 'Broker (server) certificate' },
    key: { type: 'string', help: 'Broker private key (never printed or sent anywhere)' },
    'key-pass': { type: 'string', help: 'Passphrase of an encrypted --key' },
    'client-cert': { type: 'string', help: 'Client certificate the board presents' },
    'client-key': { type: 'string', help: 'Client private key' },
    'client-key-pass': { type: 'string', help: 'Passphrase of an encrypted --client-key' },
    conf: { type: 'string', help: 'Your mosquitto.conf (file paths are mapped to the files above by name)' },
    connect: { type: 'string', help: 'Host the board connects to, as in the sketch: a name or a dotted quad' },
    'by-ip': { type: 'boolean', help: 'The sketch passes an IPAddress (setServer(IPAddress)), not a string' },
    port: { type: 'string', help: 'Listener port the board uses (default: the conf\'s TLS listener, else 8883)' },
    username: { type: 'string', help: 'MQTT user the board logs in with' },
    password: { type: 'string', help: 'MQTT password (redacted in reports)' },
    boards: { type: 'string', help: 'Boards to try', default: DEFAULT_BOARDS.join(',') },
    out: { type: 'string', help: 'Run folder (default: a temp folder)' },
    json: { type: 'boolean', help: 'Print the diagnosis as JSON' },
    'no-sandbox': { type: 'boolean', help: 'Run twins without bubblewrap' },
  },
}, async (p) => {
  const need = (name: string): string => {
    const v = str(p, name);
    if (!v) throw new UsageError(`--${name} is required`);
    return path.resolve(v);
  };
  const opt = (name: string): string | undefined => { const v = str(p, name); return v ? path.resolve(v) : undefined; };
  const connect = str(p, 'connect');
  if (!connect) throw new UsageError('--connect HOST is required: the name or IP address the board connects to');
  const files = {
    cert: need('cert'), key: need('key'),
    ...(opt('ca') ? { ca: opt('ca')! } : {}), ...(opt('client-cert') ? { clientCert: opt('client-cert')! } : {}),
    ...(opt('client-key') ? { clientKey: opt('client-key')! } : {}), ...(opt('conf') ? { conf: opt('conf')! } : {}),
    ...(str(p, 'key-pass') !== undefined ? { keyPass: str(p, 'key-pass')! } : {}),
    ...(str(p, 'client-key-pass') !== undefined ? { clientKeyPass: str(p, 'client-key-pass')! } : {}),
  };
  const { paths, boards } = await context();
  const json = bool(p, 'json');
  const boardIds = list(p, 'boards');
  const port = str(p, 'port') !== undefined ? int(p, 'port', 8883) : undefined;
  const report = await diagnose({
    files, connect, byIp: bool(p, 'by-ip'), ...(port !== undefined ? { port } : {}),
    boards: boardIds.length ? boardIds : DEFAULT_BOARDS,
    ...(str(p, 'username') !== undefined ? { username: str(p, 'username')! } : {}),
    ...(str(p, 'password') !== undefined ? { password: str(p, 'password')! } : {}),
    boardProfiles: boards, paths, progress: createProgress(process.stderr, { quiet: json }),
    ...(str(p, 'out') ? { outDir: path.resolve(str(p, 'out')!) } : {}), sandbox: !bool(p, 'no-sandbox'),
  });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatDiagnosis(report));
  const failing = report.boards.some((b) => b.status !== 'skip' && b.outcome.kind !== 'connected');
  return failing ? EXIT.failed : EXIT.ok;
});

export { command_ as command };
