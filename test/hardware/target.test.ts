import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPortMock } from 'serialport';
import { TargetError } from '../../rig/errors.ts';
import type { AttachedPort, LabBoard } from '../../rig/hardware/inventory.ts';
import { BoardSession, type HardwareCell, type HardwareCellOptions } from '../../rig/hardware/session.ts';
import { hardwareDriver } from '../../rig/target/index.ts';
import { boardLevers } from '../../rig/target/hardware.ts';
import { runSteps } from '../../rig/steps/index.ts';
import type { BrokerHandle } from '../../rig/broker/index.ts';
import {
  FAKE_CLI,
  cleanup,
  installAllCores,
  makeSketch,
  profile,
  profiles,
  recordingBinding,
  tempDir,
  useFake,
} from './helpers.ts';

const SECRETS = '#define SECRET_SSID "lab"\n#define SECRET_PASS "hunter2-wifi"\n';
const espA: LabBoard = { name: 'esp32-a', profile: 'esp32', serial: '0001A1B2', fixtures: [] };
const espB: LabBoard = { name: 'esp32-b', profile: 'esp32', serial: '0001C3D4', fixtures: [] };
const mkr: LabBoard = { name: 'mkr-1', profile: 'mkr1000', serial: '5A3C4E1F', fixtures: [] };
const ESP_PORTS: AttachedPort[] = [
  { path: '/dev/ttyUSB0', vid: '10c4', pid: 'ea60', serialNumber: '0001C3D4', sources: ['serialport'] },
  { path: '/dev/ttyUSB1', vid: '10c4', pid: 'ea60', serialNumber: '0001A1B2', sources: ['serialport'] },
];

/** The whole way to `reset`: the board runs the sketch with its serial port open (the driver's prepare + start). */
async function runOnHardware(o: HardwareCellOptions): Promise<HardwareCell> {
  const session = new BoardSession(o);
  await session.to('reset');
  return session.cell();
}

describe('hardware: runOnHardware', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  let rec: ReturnType<typeof recordingBinding>;
  let sketchDir: string;
  beforeEach(async () => {
    dir = tempDir('target');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
    SerialPortMock.binding.reset();
    for (const p of ['/dev/ttyUSB0', '/dev/ttyUSB1', '/dev/ttyACM0', '/dev/ttyACM1'])
      SerialPortMock.binding.createPort(p);
    rec = recordingBinding();
    sketchDir = makeSketch(dir, 'probe', '#include "arduino_secrets.h"\nvoid setup() {}\nvoid loop() {}\n');
  });
  afterEach(() => {
    fake.restore();
    delete process.env.FAKE_ARDUINO_CLI_UPLOAD;
    SerialPortMock.binding.reset();
    cleanup(dir);
  });

  const opts = async (
    board: LabBoard | LabBoard[],
    extra: Partial<HardwareCellOptions> = {},
  ): Promise<HardwareCellOptions> => ({
    profile: await profile((Array.isArray(board) ? board[0] : board).profile),
    board,
    sketchDir,
    secretsHeader: SECRETS,
    runDir: join(dir, 'run'),
    timeoutMs: 5_000,
    stateDir: join(dir, 'state'),
    cli: FAKE_CLI,
    binding: rec.binding,
    list: async () => ESP_PORTS,
    ...extra,
  });
  const verbs = (): string[] => fake.invocations().map((a) => a[0]);

  it('builds, flashes the board found by serial number, opens serial and resets; an unchanged image is not rebuilt or reflashed', async () => {
    const first = await runOnHardware(await opts(espA));
    try {
      assert.equal(first.port, '/dev/ttyUSB1', 'found by serial number, not by plug order');
      assert.equal(first.flashed, true);
      assert.equal(first.flashReason, 'image-changed');
      assert.deepEqual(verbs(), ['compile', 'upload']);
      // The upload uses the build profile's pinned platform tools too (the sketch folder holds sketch.yaml).
      assert.deepEqual(fake.invocations()[1], [
        'upload',
        '--profile',
        'esp32',
        '-p',
        '/dev/ttyUSB1',
        '--input-dir',
        first.build.buildDir,
        first.build.sketchPath,
      ]);
      // The cell's folder has what a person needs to rebuild and reflash it by hand.
      const script = readFileSync(join(dir, 'run', 'rebuild.sh'), 'utf8');
      assert.match(script, /compile --profile esp32 --build-path/);
      assert.match(script, /upload --profile esp32 -p "\$PORT"/);
      assert.match(script, /\/dev\/serial\/by-id\/\*0001A1B2\*/);
      assert.ok(!script.includes('hunter2'), 'the secrets header is referenced, not inlined');
      assert.match(readFileSync(join(dir, 'run', 'sketch.yaml'), 'utf8'), /platform: esp32:esp32 \(2\.0\.17\)/);
      assert.equal(first.reset, 'reset');
      assert.deepEqual(
        rec.sets.map((s) => [s.dtr, s.rts]),
        [
          [false, true],
          [false, false],
        ],
      );
      rec.port('/dev/ttyUSB1')!.emitData('RIG: connected\r\n');
      assert.equal(await first.capture.waitFor(/RIG: connected/, 2_000), 'RIG: connected');
      const record = readFileSync(join(dir, 'run', 'hardware-esp32-a.json'), 'utf8');
      assert.match(record, /"flashed": true/);
      assert.ok(!record.includes('hunter2'), 'no secrets in the record');
    } finally {
      await first.close();
    }

    const second = await runOnHardware(await opts(espA));
    try {
      assert.equal(second.flashed, false);
      assert.equal(second.build.cached, true);
      assert.deepEqual(verbs(), ['compile', 'upload'], 'no second compile, no second upload');
      assert.equal(second.reset, 'reset', 'still reset so the sketch runs again from boot');
    } finally {
      await second.close();
    }

    // The other identical board has not seen this image yet.
    const other = await runOnHardware(await opts(espB));
    try {
      assert.equal(other.port, '/dev/ttyUSB0');
      assert.equal(other.flashed, true);
      assert.deepEqual(verbs(), ['compile', 'upload', 'upload']);
    } finally {
      await other.close();
    }

    const changed = await runOnHardware(
      await opts(espA, { secretsHeader: SECRETS + '#define SECRET_BROKER "192.168.1.20"\n' }),
    );
    try {
      assert.equal(changed.flashed, true);
      assert.deepEqual(verbs(), ['compile', 'upload', 'upload', 'compile', 'upload']);
    } finally {
      await changed.close();
    }
  });

  it('re-finds a MKR1000 by serial number on its new tty after upload, without DTR/RTS pulses', async () => {
    const lists: AttachedPort[][] = [
      [{ path: '/dev/ttyACM0', vid: '2341', pid: '804e', serialNumber: '5A3C4E1F', sources: ['serialport'] }],
      [],
      [{ path: '/dev/ttyACM1', vid: '2341', pid: '804e', serialNumber: '5A3C4E1F', sources: ['serialport'] }],
    ];
    let n = 0;
    const cell = await runOnHardware(await opts(mkr, { list: async () => lists[Math.min(n++, lists.length - 1)] }));
    try {
      assert.deepEqual(
        fake
          .invocations()
          .find((a) => a[0] === 'upload')
          ?.slice(0, 5),
        ['upload', '--profile', 'mkr1000', '-p', '/dev/ttyACM0'],
      );
      assert.equal(cell.port, '/dev/ttyACM1');
      assert.equal(cell.flashReason, 'upload-is-the-only-reset');
      assert.equal(cell.reset, 'not-needed');
      assert.deepEqual(rec.sets, []);
      assert.ok(cell.timings.reenumerate !== undefined);
    } finally {
      await cell.close();
    }
  });

  it('runs one cell per board at a time, boards in parallel', async () => {
    const events: string[] = [];
    const a1 = await runOnHardware(await opts(espA, { cellId: 'a1' }));
    events.push('a1 started');
    const a2p = runOnHardware(await opts(espA, { cellId: 'a2' })).then((c) => {
      events.push('a2 started');
      return c;
    });
    const b1 = await runOnHardware(await opts(espB, { cellId: 'b1' })); // another board: not blocked by a1
    events.push('b1 started');
    const lock = JSON.parse(readFileSync(join(dir, 'state', 'locks', 'esp32-a.lock'), 'utf8')) as { owner: string };
    assert.equal(lock.owner, 'a1');
    await sleep(300); // a window in which a broken lock would let a2 start
    events.push('a1 closing');
    await a1.close();
    const a2 = await a2p;
    assert.deepEqual(events, ['a1 started', 'b1 started', 'a1 closing', 'a2 started']);
    await a2.close();
    await b1.close();
  });

  it('spreads cells over interchangeable boards and skips one that is not attached', async () => {
    const unplugged: LabBoard = { name: 'esp32-c', profile: 'esp32', serial: 'NOTHERE', fixtures: [] };
    const pool = [unplugged, espA, espB];
    const c1 = await runOnHardware(await opts(pool, { cellId: 'c1' }));
    const c2 = await runOnHardware(await opts(pool, { cellId: 'c2' })); // would wait forever if c1's board were reused
    try {
      assert.deepEqual([c1.board.name, c2.board.name].sort(), ['esp32-a', 'esp32-b']);
      assert.deepEqual([c1.port, c2.port].sort(), ['/dev/ttyUSB0', '/dev/ttyUSB1']);
    } finally {
      await c1.close();
      await c2.close();
    }
  });

  it('an upload failure is a TargetError, frees the board, and forces a reflash next time', async () => {
    process.env.FAKE_ARDUINO_CLI_UPLOAD = 'esp32-port-busy';
    await assert.rejects(
      runOnHardware(await opts(espA)),
      (e: unknown) => e instanceof TargetError && e.kind === 'port-busy' && e.retryable,
    );
    delete process.env.FAKE_ARDUINO_CLI_UPLOAD;
    const cell = await runOnHardware(await opts(espA)); // would wait forever if the lock had leaked
    try {
      assert.equal(cell.flashed, true);
    } finally {
      await cell.close();
    }
  });

  it('a board that is not attached is a no-board TargetError naming it', async () => {
    await assert.rejects(
      runOnHardware(await opts(mkr)),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'no-board' &&
        /board mkr-1 \(serial 5A3C4E1F\) is not attached/.test(e.message),
    );
  });

  it('a port vanishing mid-run resolves `ended` with a serial TargetError', async () => {
    const cell = await runOnHardware(await opts(espA));
    try {
      rec.vanish('/dev/ttyUSB1');
      const err = await cell.ended;
      assert.ok(err instanceof TargetError);
      assert.equal(err.kind, 'serial');
      assert.match(err.message, /serial port \/dev\/ttyUSB1 of esp32-a vanished/);
    } finally {
      await cell.close();
    }
    const again = await runOnHardware(await opts(espA)); // lock released by close()
    await again.close();
    assert.equal(await again.ended, undefined, 'a normal close is not an error');
  });

  it('aborting the signal closes the port and frees the board', async () => {
    const ac = new AbortController();
    await runOnHardware(await opts(espA, { signal: ac.signal }));
    ac.abort();
    const next = await runOnHardware(await opts(espA)); // would hang if the abort had not released the lock
    await next.close();
    assert.equal(next.flashed, false);
  });
});

describe('hardware: steps on a board (the fakes)', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  let rec: ReturnType<typeof recordingBinding>;
  beforeEach(async () => {
    dir = tempDir('steps');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
    SerialPortMock.binding.reset();
    for (const p of ['/dev/ttyUSB0', '/dev/ttyUSB1']) SerialPortMock.binding.createPort(p);
    rec = recordingBinding();
  });
  afterEach(() => {
    fake.restore();
    SerialPortMock.binding.reset();
    cleanup(dir);
  });

  it('writeSerial reaches the port, the answer is waited for, reset pulses DTR/RTS keeping the lines, a clock step is a skip', async () => {
    const esp32 = await profile('esp32');
    const cell = await runOnHardware({
      profile: esp32,
      board: espA,
      sketchDir: makeSketch(dir, 'probe', '#include "arduino_secrets.h"\nvoid setup() {}\nvoid loop() {}\n'),
      secretsHeader: SECRETS,
      runDir: join(dir, 'run'),
      timeoutMs: 5_000,
      stateDir: join(dir, 'state'),
      cli: FAKE_CLI,
      binding: rec.binding,
      list: async () => ESP_PORTS,
    });
    try {
      const port = rec.port('/dev/ttyUSB1')!;
      port.emitData('RIG: connected\n');
      const mock = port as unknown as { lastWrite: Buffer | null };
      const setsBefore = rec.sets.length;
      const steps = runSteps(
        [
          { waitSerial: 'RIG: connected' },
          { writeSerial: 'state' },
          { waitSerial: '^RIG: state=0 connected=1$', withinMs: 5000 },
          { reset: true },
          { clock: { advanceMs: 1000 } },
        ],
        {
          serial: cell.capture,
          levers: boardLevers(cell, esp32.hardware),
          broker: { provider: 'local' } as BrokerHandle,
          brokerLog: () => [],
          vars: {},
          signal: new AbortController().signal,
        },
      );
      // The "board" answers the command once it has arrived on its port.
      for (let i = 0; i < 400 && mock.lastWrite?.toString() !== 'state\n'; i++) await sleep(5);
      port.emitData('RIG: state=0 connected=1\n');
      const res = await steps;
      assert.deepEqual(
        res.map((r) => r.status),
        ['pass', 'pass', 'pass', 'pass', 'skip'],
        JSON.stringify(res),
      );
      assert.match(res[4]!.detail!, /does not support moving the board's clock/);
      assert.deepEqual(
        rec.sets.slice(setsBefore).map((x) => [x.dtr, x.rts]),
        [
          [false, true],
          [false, false],
        ],
      );
      assert.ok(cell.capture.lines().includes('RIG: connected'), 'the reset step keeps the lines before it');
    } finally {
      await cell.close();
    }
  });
});

describe('hardware driver: what a board cannot get yet', () => {
  it("a scenario's flash files make the cell unsupported before any board is taken or built", async () => {
    const driver = await hardwareDriver({
      inventory: { version: 1, boards: [espA], brokerAddress: '127.0.0.1' },
      tools: { cli: FAKE_CLI, list: () => Promise.reject(new Error('no board may be looked for')) },
    });
    const cell = {
      id: 'flash/default/esp32',
      board: await profile('esp32'),
      rv: { files: { '/ca.crt': '{{pki.ca.crt}}' } },
    } as unknown as Parameters<typeof driver.prepare>[0];
    await assert.rejects(driver.prepare(cell), (e: unknown) => {
      assert.ok(e instanceof TargetError && e.kind === 'unsupported', String(e));
      assert.match(e.message, /flash files need a file system image upload/);
      return true;
    });
  });
});
