// A sketch's own arduino-cli project file (sketch.yaml, "build profiles"): the FQBN with its menu options, the library
// versions ("PubSubClient (2.7)") and local library folders ("dir: ../libs/MyLib") the poster builds with. Format:
// arduino-cli docs/sketch-project-file.md (1.x); fields the twin does not need are kept but not read.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseWithSchema } from '../format/index.ts';
import { parseFqbn, type FqbnOptions } from '../boards/fqbn.ts';

const LibraryRef = z.union([
  z.string().regex(/^[^()]+?(\s*\([^()]*\))?$/, '"Name (version)"'),
  z.object({ dir: z.string().min(1) }).passthrough(),
  z.object({ dependency: z.string().regex(/^[^()]+?(\s*\([^()]*\))?$/, '"Name (version)"') }).passthrough(),
]);

const Profile = z
  .object({
    fqbn: z.string().regex(/^[^:\s]+:[^:\s]+:[^:\s]+(:.+)?$/, 'vendor:arch:board[:options]'),
    libraries: z.array(LibraryRef).optional(),
  })
  .passthrough();

export const SketchProjectFile = z
  .object({
    profiles: z.record(z.string(), Profile).optional(),
    default_profile: z.string().optional(),
  })
  .passthrough();

export interface SketchProject {
  file: string;
  /** The profile used for this board (named), or none when no profile fits. */
  profile?: string;
  fqbnOptions: FqbnOptions;
  /** Name → version, from "Name (version)" entries. */
  pins: Record<string, string>;
  /** Absolute library folders from "dir:" entries (relative to the sketch folder). */
  dirs: string[];
}

/**
 * The sketch.yaml profile for a board: the one whose FQBN names the board (vendor:arch:board), else the
 * default_profile, else none. No sketch.yaml: undefined. A malformed file is a ScenarioError with positions.
 */
export async function readSketchProject(sketchDir: string, boardFqbn: string): Promise<SketchProject | undefined> {
  const file = path.join(sketchDir, 'sketch.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const doc = parseWithSchema(SketchProjectFile, text, file);
  const base = parseFqbn(boardFqbn).base;
  const entries = Object.entries(doc.profiles ?? {});
  const chosen =
    entries.find(([, p]) => parseFqbn(p.fqbn).base === base) ?? entries.find(([name]) => name === doc.default_profile);
  if (!chosen) return { file, fqbnOptions: {}, pins: {}, dirs: [] };
  const [name, profile] = chosen;
  const pins: Record<string, string> = {};
  const dirs: string[] = [];
  for (const ref of profile.libraries ?? []) {
    if (typeof ref === 'object' && 'dir' in ref) dirs.push(path.resolve(sketchDir, String(ref.dir)));
    else {
      const spec = typeof ref === 'string' ? ref : String((ref as { dependency: string }).dependency);
      const m = /^(.+?)\s*\(([^()]*)\)\s*$/.exec(spec);
      if (m) pins[m[1]!.trim()] = m[2]!.trim();
    }
  }
  // Options only from a profile for this very board: another board's menus mean nothing here.
  const sameBoard = parseFqbn(profile.fqbn).base === base;
  return { file, profile: name, fqbnOptions: sameBoard ? parseFqbn(profile.fqbn).options : {}, pins, dirs };
}
