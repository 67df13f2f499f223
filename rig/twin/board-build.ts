// A board's build facts (its profile's twin.build and twin.defines) as g++ arguments. The facts are data in
// boards/<id>.yaml; this module only expands them.
import path from 'node:path';
import { loadBoard } from '../boards/load.ts';
import type { HardwareProfile, TwinBuildFacts, TwinProfile } from '../boards/profile.ts';
import { TwinBuildError } from './compile.ts';
import type { TwinCore } from './hostcore.ts';

/** The build options a board profile decides. */
export interface ProfileBuildOptions {
  core: TwinCore;
  debugLevel: number;
  build: TwinBuildFacts;
  defines: Record<string, string>;
  /** The FQBN menus the twin honours and ignores (twin.menus, twin.ignoredMenus). */
  menus: Pick<TwinProfile, 'menus' | 'ignoredMenus' | 'debugLevel'>;
  /** The board's FQBN on hardware: its menu options are the twin's defaults too. */
  fqbn?: string;
  /** hardware.libraries as name → version: the versions the twin imitates when nothing else pins one. */
  profileLibraries: Record<string, string>;
}

/** Everything of a profile that reaches the compiler, so a caller cannot drop a part of it. */
export function profileBuildOptions(twin: TwinProfile, hardware?: HardwareProfile): ProfileBuildOptions {
  const libs = Object.fromEntries((hardware?.libraries ?? []).map((l) => l.split('@') as [string, string]));
  return {
    core: twin.core,
    debugLevel: twin.debugLevel,
    build: twin.build,
    defines: twin.defines,
    menus: { menus: twin.menus, ignoredMenus: twin.ignoredMenus, debugLevel: twin.debugLevel },
    ...(hardware ? { fqbn: hardware.fqbn } : {}),
    profileLibraries: libs,
  };
}

/**
 * The build facts of the profile named after the core (boards/esp32.yaml for the esp32 host core), for callers
 * that build a core's twin without a profile of their own (tests, bench).
 */
export async function defaultTwinBuild(core: TwinCore, profilesDir: string): Promise<TwinBuildFacts> {
  const file = path.join(profilesDir, `${core}.yaml`);
  const profile = await loadBoard(file);
  if (profile.twin?.core !== core)
    throw new TwinBuildError('toolchain', `${file}: no twin section for the ${core} host core`, [], '');
  return profile.twin.build;
}

/** A profile's own defines (NAME: value) as NAME[=value]. */
export function profileDefines(defines: Record<string, string>): string[] {
  return Object.entries(defines)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
}

/** build.sketchDefines with the core version and debug level filled in. */
export function sketchDefines(build: TwinBuildFacts, coreVersion: string, debugLevel: number): string[] {
  const [major = '0', minor = '0', patch = '0'] = coreVersion.split(/[.-]/);
  const values: Record<string, string> = {
    version: coreVersion,
    major,
    minor,
    patch,
    debugLevel: String(debugLevel),
  };
  // The schema allows only known placeholders; anything else stays as written.
  return build.sketchDefines.map((d) => d.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all));
}
