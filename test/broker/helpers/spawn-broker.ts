// Child process for the orphan test: starts a local broker, prints its pid as JSON, then waits to be killed.
import { startBroker } from '../../../rig/broker/index.ts';
import { testPki } from './test-pki.ts';

const workDir = process.argv[2];
if (!workDir) throw new Error('usage: spawn-broker.ts <workDir>');
const h = await startBroker({ listeners: [{ port: 1883 }] }, await testPki(), { provider: 'local', workDir });
process.stdout.write(`${JSON.stringify({ pid: h.pid, port: h.ports[1883] })}\n`);
setInterval(() => {}, 60_000);
