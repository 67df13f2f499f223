// The commands that rebuild and reflash a hardware cell by hand, outside the rig: its build profile (sketch.yaml)
// and a rebuild.sh in the cell's folder. The script references the rig's generated arduino_secrets.h (WiFi
// password inside, mode 0600) in the image folder and copies it; it never holds a secret itself.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import { defineProperties, type BuildInfo } from './build.ts';
import type { LabBoard } from './inventory.ts';
import { renderSketchProject, sketchProject, type CellBuild } from './sketch-project.ts';

export const REBUILD_SCRIPT = 'rebuild.sh';

const shq = (s: string): string => (/^[A-Za-z0-9_./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** How the script finds the board's port when it runs: by USB serial number or location, as the rig does. */
function portLookup(board: LabBoard): string[] {
  const how = board.serial ? `USB serial number ${board.serial}` : `USB location ${board.location}`;
  const glob = board.serial
    ? `/dev/serial/by-id/*${shq(board.serial)}*`
    : `/dev/serial/by-path/${shq(board.location!.replace(/-port\d+$/, ''))}*`;
  return [
    `# Board ${board.name} (${how}); tty names change with plug order, so it is looked up by that.`,
    `PORT="\${PORT:-$(ls ${glob} 2>/dev/null | head -n 1)}"`,
    `[ -n "$PORT" ] || { echo "board ${board.name} (${how}) not found: set PORT=/dev/tty..." >&2; exit 1; }`,
  ];
}

export function rebuildScript(o: {
  cellId?: string;
  board: LabBoard;
  profile: BoardProfile;
  sourceSketch: string;
  image: Pick<BuildInfo, 'sketchPath' | 'profile' | 'hash'>;
  /** The cell's extra defines (scenario build.<board>.defines), as the rig passed them. */
  defines?: string[];
}): string {
  const name = basename(o.image.sketchPath);
  const p = shq(o.image.profile);
  return [
    '#!/bin/sh',
    `# Rebuild and reflash ${o.cellId ? `cell ${o.cellId}` : `image ${o.image.hash}`} on board ${o.board.name} by hand, as the`,
    '# rig did: arduino-cli with the build profile in sketch.yaml next to this script (pinned platform, index URL and',
    "# libraries). The rig's arduino_secrets.h (WiFi password inside) is copied from its image folder, never shown.",
    'set -eu',
    'HERE="$(cd "$(dirname "$0")" && pwd)"',
    'ARDUINO_CLI="${ARDUINO_CLI:-arduino-cli}"',
    `SOURCE=${shq(o.sourceSketch)}`,
    `SECRETS=${shq(join(o.image.sketchPath, 'arduino_secrets.h'))}`,
    'ROOT="$(mktemp -d)"',
    `WORK="$ROOT/${name}"`,
    'mkdir -p "$WORK"',
    'cp -R "$SOURCE"/. "$WORK"/',
    'cp "$SECRETS" "$WORK/arduino_secrets.h"',
    'cp "$HERE/sketch.yaml" "$WORK/sketch.yaml"',
    `"$ARDUINO_CLI" compile --profile ${p} --build-path "$ROOT/build"${defineProperties(o.defines)
      .map((a) => ` ${shq(a)}`)
      .join('')} --warnings default "$WORK"`,
    ...portLookup(o.board),
    `"$ARDUINO_CLI" upload --profile ${p} -p "$PORT" --input-dir "$ROOT/build" "$WORK"`,
    '',
  ].join('\n');
}

/** Writes sketch.yaml and rebuild.sh into the cell's folder. */
export async function writeReproduction(
  dir: string,
  o: Parameters<typeof rebuildScript>[0] & CellBuild & { fqbnVariant?: string },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sketch.yaml'), renderSketchProject(sketchProject(o.profile, o.fqbnVariant, o)));
  const script = join(dir, REBUILD_SCRIPT);
  await writeFile(script, rebuildScript(o));
  await chmod(script, 0o755);
}
