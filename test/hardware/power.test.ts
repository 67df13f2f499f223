// Boards that heal themselves: power-cycling through a hub port (the fake uhubctl, faithful to uhubctl 2.5.0) or a
// relay, re-finding the board by serial number (serialport's MockBinding), and a board that stays dead taken out
// of service for the night.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { TargetError } from '../../rig/errors.ts';
import { LabHealth } from '../../rig/hardware/health.ts';
import type { LabBoard } from '../../rig/hardware/inventory.ts';
import { powerCycle } from '../../rig/hardware/power.ts';
import { BoardSession, type HardwareCellOptions } from '../../rig/hardware/session.ts';
import {
  FAKE_CLI,
  FAKE_UHUBCTL,
  cleanup,
  fakeHubs,
  installAllCores,
  makeSketch,
  profile,
  profiles,
  recordingBinding,
  tempDir,
  useFake,
  type HubBoard,
} from './helpers.ts';

const ESP_A: HubBoard = { hub: '1-1', port: 2, serial: '0001A1B2', vid: '10c4', pid: 'ea60', tty: '/dev/ttyUSB1' };
const espA: LabBoard = {
  name: 'esp32-a',
  profile: 'esp32',
  serial: '0001A1B2',
  fixtures: [],
  power: { hub: '1-1', port: 2, offSeconds: 0 },
};

describe('hardware: power-cycling and re-finding boards', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  let hubs: ReturnType<typeof fakeHubs> | undefined;
  beforeEach(async () => {
    dir = tempDir('power');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
    SerialPortMock.binding.reset();
    for (let n = 0; n < 6; n++) SerialPortMock.binding.createPort(`/dev/ttyUSB${n}`);
  });
  afterEach(() => {
    hubs?.restore();
    hubs = undefined;
    fake.restore();
    SerialPortMock.binding.reset();
    cleanup(dir);
  });

  it('switches a hub port with `uhubctl -l <hub> -p <port> -a cycle` and takes "Sent power on request" as the proof', async () => {
    hubs = fakeHubs(dir, [ESP_A]);
    const r = await powerCycle('esp32-a', { hub: '1-1', port: 2, offSeconds: 0 }, { uhubctl: FAKE_UHUBCTL });
    assert.deepEqual(hubs.calls(), [['-l', '1-1', '-p', '2', '-a', 'cycle', '-d', '0']]);
    assert.match(r.output, /^Sent power off request$/m);
    assert.match(r.output, /^ {2}Port 2: 0000 off$/m);
    assert.match(r.output, /^ {2}Port 2: 0103 power enable connect \[10c4:ea60 .* 0001A1B2\]$/m);
    assert.equal(hubs.state().hubs['1-1']!.ports['2']!.enumerations, 1);
  });

  it('a hub uhubctl may not open (it still exits 0, but sends nothing) is an error quoting uhubctl', async () => {
    hubs = fakeHubs(dir, [ESP_A]);
    const st = hubs.state();
    st.hubs['1-1']!.noPermission = true;
    writeFileSync(process.env.FAKE_UHUBCTL_STATE!, JSON.stringify(st));
    await assert.rejects(
      powerCycle('esp32-a', { hub: '1-1', port: 2, offSeconds: 0 }, { uhubctl: FAKE_UHUBCTL }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'permission-denied' &&
        /uhubctl did not switch hub 1-1 port 2 for esp32-a/.test(e.message) &&
        /Current status for hub 1-1/.test(e.toolMessage),
    );
  });

  it('a hub that is not there: uhubctl exits 1 with "No compatible devices detected at location"', async () => {
    hubs = fakeHubs(dir, [ESP_A]);
    await assert.rejects(
      powerCycle('esp32-a', { hub: '3-1', port: 2, offSeconds: 0 }, { uhubctl: FAKE_UHUBCTL }),
      (e: unknown) =>
        e instanceof TargetError &&
        /exited 1/.test(e.message) &&
        /No compatible devices detected at location 3-1!/.test(e.toolMessage),
    );
  });

  it('a relay command from the inventory gets {{action}} = off, then on', async () => {
    const log = join(dir, 'relay.log');
    const relay = join(dir, 'relay.mjs');
    writeFileSync(
      relay,
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(' ') + '\\n');\n`,
    );
    await powerCycle('esp32-a', { command: [process.execPath, relay, '--channel', '4', '{{action}}'], offSeconds: 0 });
    assert.equal(readFileSync(log, 'utf8'), '--channel 4 off\n--channel 4 on\n');
  });

  const opts = async (extra: Partial<HardwareCellOptions> = {}): Promise<HardwareCellOptions> => ({
    profile: await profile('esp32'),
    board: espA,
    sketchDir: makeSketch(dir, 'probe', 'void setup() {}\nvoid loop() {}\n'),
    secretsHeader: '#define SECRET_SSID "lab"\n',
    runDir: join(dir, 'run'),
    timeoutMs: 5_000,
    stateDir: join(dir, 'state'),
    cli: FAKE_CLI,
    binding: recordingBinding().binding,
    list: hubs!.list,
    power: { uhubctl: FAKE_UHUBCTL },
    recoverTimeoutMs: 1_500,
    ...extra,
  });

  it('a board whose port vanished is power-cycled before its next cell and re-found by serial number on its new tty', async () => {
    hubs = fakeHubs(dir, [ESP_A]);
    const rec = recordingBinding();
    const first = new BoardSession(await opts({ binding: rec.binding }));
    await first.to('reset');
    const cell = first.cell();
    assert.equal(cell.port, '/dev/ttyUSB1');
    rec.vanish('/dev/ttyUSB1'); // the board hung and dropped off USB mid-cell
    assert.equal((await cell.ended)?.kind, 'serial');
    await cell.close();
    assert.equal((await first.health.get('esp32-a')).state, 'suspect');
    assert.deepEqual(hubs.calls(), [], 'not power-cycled mid-cell');

    const second = new BoardSession(await opts());
    await second.to('reset');
    try {
      assert.deepEqual(hubs.calls(), [['-l', '1-1', '-p', '2', '-a', 'cycle', '-d', '0']]);
      assert.equal(second.cell().port, '/dev/ttyUSB2', 'found again by serial number, on the tty it came back on');
      const h = await second.health.get('esp32-a');
      assert.equal(h.state, 'ok');
      assert.ok(h.recoveredAt);
      assert.ok(h.events.some((e) => e.what === 'back after power-cycle through uhubctl hub 1-1 port 2'));
      assert.ok(second.timings['power-cycle'] !== undefined);
    } finally {
      await second.close();
    }
  });

  it('a board that does not come back is out of service: its cell is not retried and later cells do not touch it', async () => {
    hubs = fakeHubs(dir, [{ ...ESP_A, attached: false, dead: true }]);
    const health = new LabHealth(join(dir, 'state', 'health'));
    // First cell: not attached → an error the runner may retry, and the board is suspect.
    await assert.rejects(new BoardSession(await opts()).to('flashed'), (e: unknown) => {
      assert.ok(e instanceof TargetError && e.kind === 'no-board' && e.retryable, String(e));
      return true;
    });
    assert.equal((await health.get('esp32-a')).state, 'suspect');
    // The retry: power-cycled, still not there → out of service, and no retry of that.
    await assert.rejects(new BoardSession(await opts()).to('flashed'), (e: unknown) => {
      assert.ok(e instanceof TargetError && !e.retryable, String(e));
      assert.match(
        e.message,
        /^board esp32-a out of service since \d{4}-\d\d-\d\dT.*: power-cycled through uhubctl hub 1-1 port 2, board esp32-a \(serial 0001A1B2\) did not come back/,
      );
      return true;
    });
    const compiles = fake.invocations().filter((a) => a[0] === 'compile').length;
    // The next cell on it: refused at once, no power-cycle, no compile.
    await assert.rejects(
      new BoardSession(await opts()).to('flashed'),
      /^TargetError: board esp32-a out of service since|board esp32-a out of service since/,
    );
    assert.equal(hubs.calls().length, 1, 'power-cycled once tonight');
    assert.equal(fake.invocations().filter((a) => a[0] === 'compile').length, compiles, 'nothing built for it');
    assert.equal((await health.get('esp32-a')).state, 'out-of-service');
  });

  it("out of service lasts one night; failing again after tonight's power-cycle takes a board out too", async () => {
    let now = new Date('2026-12-02T02:00:00Z');
    const health = new LabHealth(join(dir, 'h'), { now: () => now });
    await health.suspect('b', 'upload timed out');
    await health.recovered('b', 'power-cycle');
    const again = await health.suspect('b', 'upload timed out');
    assert.equal(again.state, 'out-of-service');
    assert.match(again.reason!, /^failed again after the power-cycle at 2026-12-02T02:00:00.000Z: upload timed out$/);
    now = new Date('2026-12-02T20:00:00Z'); // the next night
    assert.equal((await health.get('b')).state, 'ok');
  });
});
