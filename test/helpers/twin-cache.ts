// The twin build cache of the rig's own runs (`.rig-cache/twin`, or `$RIG_CACHE/twin`). A test that needs a built
// twin, not a cold build, uses it: host cores and objects are then built once for the whole suite instead of once
// per test file (a host core is ~20 s of g++; compilers were half the suite's CPU when each file had its own).
import { projectPaths, twinCacheDir } from '../../rig/project.ts';

export function sharedTwinCache(): string {
  return twinCacheDir(projectPaths());
}
