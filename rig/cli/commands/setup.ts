import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool } from '../args.ts';
import { checkRequirements, installMissing } from '../../setup/deps.ts';
import { buildLocalImage, ensureDockerd, LOCAL_IMAGE } from '../../setup/container-image.ts';
import { context } from './context.ts';

export const setupCommand = command(
  {
    name: 'setup',
    usage: 'rig setup [--container] [--hardware] [--test] [--quiet-ok]',
    summary:
      'Install what the rig needs (Debian packages as root); quick when all is present, exact instructions when it cannot.',
    options: {
      container: {
        type: 'boolean',
        help: 'Also docker.io, a running dockerd and the local Mosquitto image (for the container provider and its tests)',
      },
      hardware: { type: 'boolean', help: 'Also the pinned arduino-cli cores and libraries from the board profiles' },
      test: {
        type: 'boolean',
        help: 'Also what the tests use: xmllint (junit.xml schema check) and Chromium (report.html)',
      },
      'quiet-ok': { type: 'boolean', help: 'Print one line when everything is already there' },
    },
  },
  async (p) => {
    const t0 = Date.now();
    const log = (s: string): void => {
      process.stderr.write(`setup: ${s}\n`);
    };
    const scope: ('core' | 'container' | 'test')[] = ['core'];
    if (bool(p, 'container')) scope.push('container');
    if (bool(p, 'test')) scope.push('test');
    const before = await checkRequirements(scope);
    const installed = await installMissing(before.missing, log);
    if (!installed.ok) {
      process.stderr.write(`setup: cannot install what is missing.\n${installed.message}\n`);
      return EXIT.infra;
    }
    let containerNote = '';
    if (bool(p, 'container')) {
      // Container support is optional: its absence is reported, and the container tests skip with this reason.
      const d = await ensureDockerd();
      if (!d.ok) containerNote = `container provider unavailable: ${d.reason}`;
      else {
        try {
          const img = await buildLocalImage({});
          containerNote = img.built
            ? `built ${img.tag} in ${(img.ms / 1000).toFixed(1)} s`
            : `image ${LOCAL_IMAGE} present`;
        } catch (e) {
          containerNote = `container image not built: ${(e as Error).message.split('\n')[0]}`;
        }
      }
    }
    if (bool(p, 'hardware')) {
      const { boards } = await context();
      const { setupHardware } = await import('../../hardware/setup.ts');
      const r = await setupHardware(
        [...boards.values()].filter((b) => b.hardware),
        { log },
      );
      log(JSON.stringify(r));
    }
    const ms = Date.now() - t0;
    if (before.missing.length === 0 && bool(p, 'quiet-ok')) {
      process.stderr.write(`setup: all present (${ms} ms)${containerNote ? `; ${containerNote}` : ''}\n`);
    } else {
      log(
        `${before.missing.length ? `installed ${before.missing.map((m) => m.pkg).join(' ')}` : 'all Debian packages present'} (${ms} ms)`,
      );
      if (containerNote) log(containerNote);
    }
    return EXIT.ok;
  },
);
