// The broker log capture: lines are recorded (and parsed) as they arrive; the file copy is written in batches and
// is whole, in order, once the capture is closed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogCapture } from '../../rig/broker/log-capture.ts';

describe('broker log capture', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-logcap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records lines at once, and the file holds every line in order after close', async () => {
    const file = path.join(dir, 'broker.log');
    const log = new LogCapture(file);
    const lines = Array.from({ length: 500 }, (_, i) => `1796403828: Received PINGREQ from dev-${i}`);
    // A line at a time, as mosquitto writes its stderr, plus one split across chunks and a partial last line.
    for (const l of lines) log.push(`${l}\n`);
    log.push('1796403829: New client connected from 127.0.0.1:5 as ');
    log.push('dev-x (p2, c1, k60).\n');
    log.push('1796403829: trailing');
    assert.equal(log.logLines().length, 501, 'recorded as they came, not when written');
    assert.equal(log.logLines()[500], '1796403829: New client connected from 127.0.0.1:5 as dev-x (p2, c1, k60).');
    assert.ok(
      log.events().some((e) => e.type === 'connected'),
      'parsed as they came',
    );
    await log.close();
    const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(written, [...lines, log.logLines()[500], '1796403829: trailing']);
  });

  it('a copy larger than one batch is written whole too', async () => {
    const file = path.join(dir, 'big.log');
    const log = new LogCapture(file);
    const long = `1796403828: ${'x'.repeat(1000)}`;
    for (let i = 0; i < 200; i++) log.push(`${long} ${i}\n`);
    await log.close();
    const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(written.length, 200);
    assert.equal(written[199], `${long} 199`);
  });
});
