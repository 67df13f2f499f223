// `rig new --from-forum`: a forum post (files, or stdin with "### part" sections) → a scenario skeleton in
// scenarios/forum/<id>.yaml and the sketch in sketches/<id>/<id>.ino, validated before anything is written.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { command as makeCommand, type Command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { projectPaths } from '../../project.ts';
import { parseScenarioText } from '../../scenario/load.ts';
import { extractParts, type ForumParts } from '../../forum/extract.ts';
import { buildSkeleton, NothingToReproduce } from '../../forum/skeleton.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A file's role from its name, else from its content (a whole post is cut into parts). */
function partsOfFile(file: string, text: string): ForumParts {
  const base = path.basename(file).toLowerCase();
  if (/\.(ino|cpp|h)$/.test(base)) return { sketch: text, saw: [] };
  if (/\.conf$/.test(base)) return { conf: text, saw: [] };
  if (/\.(sh|bash)$/.test(base)) return { openssl: text, saw: [] };
  return extractParts(text);
}

function merge(a: ForumParts, b: ForumParts): ForumParts {
  return {
    ...a,
    ...Object.fromEntries(Object.entries(b).filter(([k, v]) => k !== 'saw' && v !== undefined)),
    saw: [...a.saw, ...b.saw],
  } as ForumParts;
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/https?:\/\//, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'forum-report'
  );
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

export const command: Command = newCommand();

function newCommand(): Command {
  return makeCommand(
    {
      name: 'new',
      usage:
        'rig new --from-forum [FILE...|-] [--id ID] [--board esp32|esp8266|mkr1000] [--link URL] [--saw TEXT] [--root DIR] [--force] [--dry-run]',
      summary:
        'Start a forum reproduction: paste the post (or its openssl commands, mosquitto.conf and sketch, as files or as ' +
        'stdin sections "### openssl", "### mosquitto.conf", "### sketch", "### saw", "### link") and get a validated ' +
        'scenario skeleton in scenarios/forum/ with the sketch in sketches/<id>/, secrets replaced by SECRET_* placeholders.',
      options: {
        'from-forum': { type: 'boolean', help: 'Make a reproduction from a forum post (the only mode)' },
        id: { type: 'string', help: 'Scenario id (default: from the link, else "forum-report")' },
        board: { type: 'string', help: 'Board profile (default: recognised from the sketch)' },
        link: { type: 'string', help: 'Link to the thread (goes into source)' },
        saw: {
          type: 'string',
          multiple: true,
          help: 'A line the user saw (must-see regex, matched literally); repeatable',
        },
        root: { type: 'string', help: 'Project folder to write into (default: this rig)' },
        force: { type: 'boolean', help: 'Overwrite an existing scenario or sketch' },
        'dry-run': { type: 'boolean', help: 'Print the scenario and the notes; write nothing' },
      },
    },
    async (p) => {
      if (!bool(p, 'from-forum')) throw new UsageError('say what to start from: rig new --from-forum (see --help)');
      let parts: ForumParts = { saw: [] };
      const files = p.positionals.length ? p.positionals : ['-'];
      for (const f of files) {
        const text =
          f === '-'
            ? await readStdin()
            : await readFile(f, 'utf8').catch((e: Error) => {
                throw new UsageError(`cannot read ${f}: ${e.message}`);
              });
        parts = merge(parts, f === '-' ? extractParts(text) : partsOfFile(f, text));
      }
      const link = str(p, 'link');
      if (link) parts.link = link;
      const sawOpt = p.values.saw;
      const saw = Array.isArray(sawOpt) ? sawOpt : typeof sawOpt === 'string' ? [sawOpt] : [];
      if (saw.length) parts.saw = saw;

      const id = str(p, 'id') ?? slug(parts.link ?? 'forum-report');
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(id))
        throw new UsageError(`--id "${id}": lower-case letters, digits, ".", "_" or "-"`);
      const root = path.resolve(str(p, 'root') ?? projectPaths().root);
      const board = str(p, 'board');
      const sketchDir = `sketches/${id}`;
      let sk;
      try {
        sk = buildSkeleton({ id, parts, sketchDir, ...(board ? { board } : {}) });
      } catch (e) {
        if (e instanceof NothingToReproduce) throw new UsageError(e.message);
        throw e;
      }
      const scenarioFile = path.join(root, 'scenarios', 'forum', `${id}.yaml`);

      // Validate before writing: a skeleton that does not load is the rig's bug, not the user's.
      parseScenarioText(sk.yaml, path.relative(process.cwd(), scenarioFile));

      const out = process.stdout;
      if (bool(p, 'dry-run')) {
        out.write(sk.yaml);
        if (sk.sketch) out.write(`\n# ${sk.sketch.file}: ${sk.sketch.replaced.length} secret(s) replaced\n`);
      } else {
        const targets = [scenarioFile, ...(sk.sketch ? [path.join(root, sk.sketch.file)] : [])];
        if (!bool(p, 'force')) {
          for (const t of targets)
            if (await exists(t))
              throw new UsageError(`${path.relative(root, t)} exists (use --force to overwrite, or another --id)`);
        }
        await mkdir(path.dirname(scenarioFile), { recursive: true });
        await writeFile(scenarioFile, sk.yaml);
        out.write(`wrote ${path.relative(root, scenarioFile)}\n`);
        if (sk.sketch) {
          const f = path.join(root, sk.sketch.file);
          await mkdir(path.dirname(f), { recursive: true });
          await writeFile(f, sk.sketch.text);
          out.write(`wrote ${sk.sketch.file}\n`);
        }
      }
      for (const r of sk.sketch?.replaced ?? []) out.write(`  secret: ${r}\n`);
      for (const n of sk.notes) out.write(`  note: ${n}\n`);
      out.write(
        `next: \`rig run ${id} --target twin\`: the first run says, cell by cell, whether it shows what the poster saw (docs/new-reproduction.md)\n`,
      );
      return EXIT.ok;
    },
  );
}
