import { execa } from 'execa';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool } from '../args.ts';
import { checkRequirements, REQUIREMENTS } from '../../setup/deps.ts';
import { dockerAnswers, imageExists, LOCAL_IMAGE } from '../../setup/container-image.ts';

async function which(bin: string): Promise<string | undefined> {
  const r = await execa('sh', ['-c', `command -v ${bin}`], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export const doctorCommand = command(
  {
    name: 'doctor',
    usage: 'rig doctor [--json]',
    summary: 'Show what is installed, whether Docker answers, and which boards are attached.',
    options: { json: { type: 'boolean', help: 'Machine-readable output' } },
  },
  async (p) => {
    const req = await checkRequirements(['core', 'container']);
    const docker = await dockerAnswers(3000);
    const image = docker ? await imageExists(LOCAL_IMAGE) : false;
    const arduinoCli = await which(process.env.RIG_ARDUINO_CLI ?? 'arduino-cli');
    const bwrap = await which('bwrap');
    let attached: string[];
    try {
      const { SerialPort } = await import('serialport');
      attached = (await SerialPort.list()).map(
        (x) =>
          `${x.path}${x.vendorId ? ` ${x.vendorId}:${x.productId}` : ''}${x.serialNumber ? ` sn=${x.serialNumber}` : ''}`,
      );
    } catch (e) {
      attached = [`(cannot list serial ports: ${(e as Error).message})`];
    }
    const report = {
      node: process.version,
      packages: req.versions,
      missing: req.missing.map((m) => m.pkg),
      docker: docker ? 'answers' : 'not reachable',
      localImage: image ? LOCAL_IMAGE : null,
      arduinoCli: arduinoCli ?? null,
      bubblewrap: bwrap ?? null,
      serialPorts: attached,
    };
    if (bool(p, 'json')) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.ok;
    }
    const out = process.stdout;
    out.write(`node         ${process.version}\n`);
    for (const r of REQUIREMENTS) out.write(`${r.pkg.padEnd(18)} ${req.versions[r.pkg] ?? 'MISSING'}  (${r.why})\n`);
    out.write(
      `docker             ${docker ? 'answers' : 'not reachable (container provider off; `rig setup --container` as root starts dockerd)'}\n`,
    );
    out.write(`local image        ${image ? LOCAL_IMAGE : 'not built'}\n`);
    out.write(`arduino-cli        ${arduinoCli ?? 'not found (needed only for --target hardware)'}\n`);
    out.write(`serial ports       ${attached.length ? attached.join('; ') : 'none attached'}\n`);
    const coreMissing = req.missing.filter((m) => m.for === 'core');
    if (coreMissing.length)
      out.write(`\nMissing: ${coreMissing.map((m) => m.pkg).join(' ')} — run \`rig setup\` as root.\n`);
    return coreMissing.length ? EXIT.infra : EXIT.ok;
  },
);
