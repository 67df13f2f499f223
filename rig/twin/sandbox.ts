// Whether twins can run sandboxed here: the rig's one sandbox (rig/sandbox), asked for the twin launcher's sake.
import { sandboxSupport } from '../sandbox/index.ts';

/** Whether bwrap can create the namespaces here (no user namespaces in some containers/CI). */
export function sandboxAvailable(): { ok: boolean; reason: string } {
  const s = sandboxSupport();
  return { ok: s.ok, reason: s.reason };
}
