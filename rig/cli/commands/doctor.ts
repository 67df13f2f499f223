import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool } from '../args.ts';
import { checkRequirements } from '../../setup/deps.ts';
import { checkTools, TOOLS, type ToolCheck, type ToolName } from '../../setup/tools.ts';
import { dockerAnswers, imageExists, LOCAL_IMAGE } from '../../setup/container-image.ts';
import { sandboxSupport, type SandboxSupport } from '../../sandbox/index.ts';

/** What every twin run needs; the rest (docker, arduino-cli) only some runs. */
const CORE: ToolName[] = [
  'mosquitto',
  'mosquitto_pub',
  'mosquitto_sub',
  'mosquitto_passwd',
  'openssl',
  'g++',
  'mbedtls',
  'bearssl',
  'g++-m32',
  'bwrap',
];
const OPTIONAL: ToolName[] = ['docker', 'arduino-cli'];

async function serialPorts(): Promise<string[]> {
  try {
    const { SerialPort } = await import('serialport');
    return (await SerialPort.list()).map(
      (x) =>
        `${x.path}${x.vendorId ? ` ${x.vendorId}:${x.productId}` : ''}${x.serialNumber ? ` sn=${x.serialNumber}` : ''}`,
    );
  } catch (e) {
    return [`(cannot list serial ports: ${(e as Error).message})`];
  }
}

function line(t: ToolCheck): string {
  const spec = TOOLS[t.name];
  const state = t.ok ? `ok ${t.version ?? ''}`.trim() : 'MISSING';
  const where = t.ok ? (spec.input ? `compiles and links with ${t.path ?? 'g++'}` : (t.path ?? '')) : (t.problem ?? '');
  return `${t.name.padEnd(17)} ${state.padEnd(16)} ${where}  (${spec.why}; Debian ${spec.pkg})`;
}

/** What the sandbox guarantees here, and what is missing (SECURITY.md). */
function sandboxLines(s: SandboxSupport): string[] {
  const who = process.getuid?.() === 0 ? 'as uid 65534 (setpriv, no capabilities)' : 'in a user namespace';
  return [
    s.ok
      ? `sandbox           ok: bubblewrap namespaces, ${who}, limits (prlimit)`
      : `sandbox           MISSING: ${s.reason}; \`rig run\` refuses untrusted inputs (posts, PR scenarios, outside sketches) unless --allow-unsandboxed`,
    s.network
      ? 'network isolation ok: a twin that reaches only the broker gets its own network namespace'
      : `network isolation MISSING: ${s.networkReason || s.reason}; sandboxed twins share the machine's network`,
  ];
}

export const doctorCommand = command(
  {
    name: 'doctor',
    usage: 'rig doctor [--json]',
    summary: 'Run every tool the rig uses and show its version, whether Docker answers, and which boards are attached.',
    options: { json: { type: 'boolean', help: 'Machine-readable output' } },
  },
  async (p) => {
    const [tools, req, docker, attached] = await Promise.all([
      checkTools([...CORE, ...OPTIONAL]),
      checkRequirements(['core', 'container', 'test']),
      dockerAnswers(3000),
      serialPorts(),
    ]);
    const image = docker ? await imageExists(LOCAL_IMAGE) : false;
    const sandbox = sandboxSupport();
    const broken = tools.filter((t) => !t.ok && CORE.includes(t.name));
    if (bool(p, 'json')) {
      const report = {
        node: process.version,
        tools: Object.fromEntries(tools.map((t) => [t.name, t])),
        packages: req.versions,
        docker: docker ? 'answers' : 'not reachable',
        localImage: image ? LOCAL_IMAGE : null,
        serialPorts: attached,
        sandbox,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return broken.length ? EXIT.infra : EXIT.ok;
    }
    const out = process.stdout;
    out.write(`node              ${process.version}\n`);
    for (const t of tools) out.write(`${line(t)}\n`);
    out.write(
      `docker engine     ${docker ? 'answers' : 'not reachable (container provider off; `rig setup --container` as root starts dockerd)'}\n`,
    );
    out.write(`local image       ${image ? LOCAL_IMAGE : 'not built'}\n`);
    const testPkgs = ['libxml2-utils', 'chromium'].map((k) => `${k} ${req.versions[k] ?? 'missing'}`).join(', ');
    out.write(`test tools        ${testPkgs} (\`rig setup --test\`)\n`);
    out.write(`serial ports      ${attached.length ? attached.join('; ') : 'none attached'}\n`);
    for (const l of sandboxLines(sandbox)) out.write(`${l}\n`);
    if (broken.length)
      out.write(
        `\nMissing or broken: ${broken.map((b) => b.name).join(', ')}: run \`rig setup\` as root (apt-get install ${[...new Set(broken.map((b) => TOOLS[b.name].pkg))].join(' ')}).\n`,
      );
    return broken.length ? EXIT.infra : EXIT.ok;
  },
);
