// The sandbox every piece of untrusted code runs in (SECURITY.md): its command line, whether this machine
// supports it, the network relay to the broker, no-follow file access, and the twin's own pty.
export {
  ETC_DEFAULT,
  NOBODY,
  rigIsRoot,
  sandboxCommand,
  type Mount,
  type SandboxLimits,
  type SandboxSpec,
} from './command.ts';
export { resetSandboxProbe, sandboxSupport, type SandboxSupport } from './support.ts';
export { relayBinary, relayPorts, type PortRelay } from './relay.ts';
export {
  readFileNoFollow,
  readFileNoFollowSync,
  UnsafeFileError,
  writeFileNoFollow,
  writeFileNoFollowSync,
  type ReadBounded,
} from './files.ts';
export { openOwnedPty, PtyOwnershipError, type OwnedPty } from './pty.ts';
export { compilerPaths, sandboxedCompiler, type SandboxedCompiler } from './compiler.ts';
