// Child process for the "dies with the rig" tests: starts a managed `sleep`, prints its pid, then either exits on
// its own when its stdin ends (argv[2] = "exit") or waits for a signal that nothing in it subscribes to.
import { startManaged } from '../../../rig/process/index.ts';

const p = await startManaged({
  command: 'sh',
  args: ['-c', 'echo up; exec sleep 60'],
  ready: { line: /^up$/, timeoutMs: 5000 },
});
process.stdout.write(`${p.pid}\n`);
// "exit": once the test has seen the child run and closed our stdin (else the test could look after the exit).
if (process.argv[2] === 'exit') process.stdin.on('end', () => process.exit(0)).resume();
setInterval(() => {}, 60_000);
