// The twin target: build a sketch natively against the host Arduino core, run it on a pseudo-terminal.
export { buildTwin, type BuildTwinOptions, type TwinBuild } from './build.ts';
export { profileBuildOptions, type ProfileBuildOptions } from './board-build.ts';
export { startTwin, type StartTwinOptions, type TwinProcess, type TwinExit } from './launch.ts';
export { bootTwin, type BootTwinOptions, type BootedTwin } from './boot.ts';
export { TwinWorld, parseTwinWorld, type ResolvedTwinWorld } from './world.ts';
export { TwinBuildError, TwinMissingApiError, TwinUnsupportedError, type TwinBuildErrorKind } from './compile.ts';
export { type TwinCore, type DataModel, DEFAULT_BOARDS_DIR } from './hostcore.ts';
export { sandboxAvailable } from './sandbox.ts';
