// Child process for the "dies with the rig" tests: starts a managed `sleep`, prints its pid, then either exits on
// its own (argv[2] = "exit") or waits for a signal that nothing in it subscribes to.
import { startManaged } from '../../../rig/process/index.ts';

const p = await startManaged({
  command: 'sh',
  args: ['-c', 'echo up; exec sleep 60'],
  ready: { line: /^up$/, timeoutMs: 5000 },
});
process.stdout.write(`${p.pid}\n`);
if (process.argv[2] === 'exit') process.exit(0);
setInterval(() => {}, 60_000);
