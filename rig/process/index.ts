// Processes the rig owns and the process-wide handlers that stop them: one place for both.
export {
  startManaged,
  ProcessStartError,
  type ManagedOptions,
  type ManagedProcess,
  type ProcessExit,
} from './managed.ts';
export { onExit, onInterrupt, nextInterrupt } from './signals.ts';
export {
  ownedTempDir,
  sweepStaleOwnedDirs,
  sweepStaleOwnedDirsOnce,
  ownerAlive,
  ownerRecord,
  OWNER_FILE,
  type OwnedDir,
} from './tempdir.ts';
export { findProgram, PROGRAM_SEARCH } from './find-program.ts';
export { buildOnce, type BuildOnceOptions } from './build-once.ts';
export { cProgram } from './c-program.ts';
export { runProgram, startProgram, type ProgramResult, type ProgramSpec, type RunningProgram } from './program.ts';
export { spawnChild, spawnDirect, type ChildSpec, type OwnedChild } from './spawner.ts';
