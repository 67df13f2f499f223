// `rig diagnose`: run the user's own certificates (and mosquitto.conf) on every board's twin and explain.
import path from 'node:path';
import { isIPv4 } from 'node:net';
import { command } from '../command.ts';
import { bool, int, list, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { createProgress } from '../../runner/progress.ts';
import { context } from './context.ts';
import { checkDiagnoseArgs, DEFAULT_BOARDS, diagnose, DiagnoseInterrupted } from '../../diagnose/index.ts';
import { diagnoseExitCode, EXIT } from '../exit.ts';
import { formatDiagnosis } from '../../diagnose/format.ts';

export const command_ = command(
  {
    name: 'diagnose',
    usage:
      'rig diagnose --ca ca.crt --cert server.crt --key server.key [--client-cert c.crt --client-key c.key] [--conf mosquitto.conf] --connect HOST [--by-ip] [--boards esp32,esp8266,mkr1000,control] [--json]',
    summary:
      "Run your own broker certificates (and conf) against each board's twin and the PC controls, and explain each failure with the smallest fix. " +
      'Exit 0 every board connects, 1 a board does not (or your broker would not start), 2 bad arguments or files, 3 the rig could not run a board.',
    options: {
      ca: {
        type: 'string',
        help: 'CA certificate the board is given, or a bundle of them (omit: the board gets none)',
      },
      cert: {
        type: 'string',
        help: 'Broker (server) certificate; a full chain (server, then intermediates) is sent as it is',
      },
      key: {
        type: 'string',
        help: 'Broker private key (never printed or sent anywhere; a decrypted copy lives only in a temp folder removed at the end)',
      },
      'key-pass': { type: 'string', help: 'Passphrase of an encrypted --key' },
      'client-cert': { type: 'string', help: 'Client certificate the board presents' },
      'client-key': { type: 'string', help: 'Client private key' },
      'client-key-pass': { type: 'string', help: 'Passphrase of an encrypted --client-key' },
      conf: { type: 'string', help: 'Your mosquitto.conf (file paths are mapped to the files above by name)' },
      connect: {
        type: 'string',
        help: 'What the sketch passes to connect: a name or a dotted quad. With --by-ip, the address: 192.168.0.52, or NAME=IP (raspberry=192.168.0.52) when the sketch resolves NAME and passes the IPAddress',
      },
      'by-ip': {
        type: 'boolean',
        help: 'The sketch passes an IPAddress (setServer(IPAddress)), not a string; needs an address in --connect',
      },
      port: { type: 'string', help: "Listener port the board uses (default: the conf's TLS listener, else 8883)" },
      username: { type: 'string', help: 'MQTT user the board logs in with' },
      password: { type: 'string', help: 'MQTT password (redacted in reports)' },
      boards: { type: 'string', help: 'Boards to try (board profile ids)', default: DEFAULT_BOARDS.join(',') },
      out: { type: 'string', help: 'Run folder (default: a temp folder)' },
      json: { type: 'boolean', help: 'Print the diagnosis as JSON' },
      'no-sandbox': { type: 'boolean', help: 'Run twins without bubblewrap' },
    },
  },
  async (p) => {
    const need = (name: string): string => {
      const v = str(p, name);
      if (!v) throw new UsageError(`--${name} is required`);
      return path.resolve(v);
    };
    const opt = (name: string): string | undefined => {
      const v = str(p, name);
      return v ? path.resolve(v) : undefined;
    };
    const given = str(p, 'connect');
    if (!given) throw new UsageError('--connect HOST is required: the name or IP address the board connects to');
    const byIp = bool(p, 'by-ip');
    // NAME=IP: the sketch resolves NAME (mDNS, DNS) and passes the IPAddress; the address is what gets checked.
    const eq = given.indexOf('=');
    let connect = given;
    let name: string | undefined;
    if (eq >= 0) {
      name = given.slice(0, eq);
      connect = given.slice(eq + 1);
      if (!byIp)
        throw new UsageError(
          `--connect ${given}: NAME=IP is for --by-ip (the sketch resolves ${name} and passes the IPAddress); without --by-ip give what the sketch passes`,
        );
      if (!name || !isIPv4(connect))
        throw new UsageError(`--connect ${given}: expected NAME=IP, e.g. raspberry=192.168.0.52`);
    }
    const files = {
      cert: need('cert'),
      key: need('key'),
      ...(opt('ca') ? { ca: opt('ca')! } : {}),
      ...(opt('client-cert') ? { clientCert: opt('client-cert')! } : {}),
      ...(opt('client-key') ? { clientKey: opt('client-key')! } : {}),
      ...(opt('conf') ? { conf: opt('conf')! } : {}),
      ...(str(p, 'key-pass') !== undefined ? { keyPass: str(p, 'key-pass')! } : {}),
      ...(str(p, 'client-key-pass') !== undefined ? { clientKeyPass: str(p, 'client-key-pass')! } : {}),
    };
    const { paths, boards } = await context();
    const json = bool(p, 'json');
    const boardIds = list(p, 'boards');
    const port = str(p, 'port') !== undefined ? int(p, 'port', 8883) : undefined;
    const opts = {
      files,
      connect,
      byIp,
      ...(name ? { name } : {}),
      ...(port !== undefined ? { port } : {}),
      boards: boardIds.length ? boardIds : DEFAULT_BOARDS,
      ...(str(p, 'username') !== undefined ? { username: str(p, 'username')! } : {}),
      ...(str(p, 'password') !== undefined ? { password: str(p, 'password')! } : {}),
      boardProfiles: boards,
      paths,
      progress: createProgress(process.stderr, { quiet: json }),
      ...(str(p, 'out') ? { outDir: path.resolve(str(p, 'out')!) } : {}),
      sandbox: !bool(p, 'no-sandbox'),
    };
    checkDiagnoseArgs(opts);
    try {
      const report = await diagnose(opts);
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatDiagnosis(report));
      return diagnoseExitCode(report);
    } catch (e) {
      if (e instanceof DiagnoseInterrupted) {
        process.stderr.write('rig diagnose: interrupted\n');
        return EXIT.interrupted;
      }
      throw e;
    }
  },
);

export { command_ as command };
