// `rig boards --check`: each board gets the probe sketch and must print its banner. One healthy board, one that is
// hung until its hub port is power-cycled, one dead for good (fake arduino-cli, fake uhubctl, MockBinding).
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { allHealthy, checkBoards, formatChecks } from '../../rig/hardware/check.ts';
import { LabHealth } from '../../rig/hardware/health.ts';
import type { LabBoard } from '../../rig/hardware/inventory.ts';
import {
  FAKE_CLI,
  FAKE_UHUBCTL,
  ROOT,
  cleanup,
  fakeHubs,
  installAllCores,
  profiles,
  recordingBinding,
  tempDir,
  useFake,
  type HubBoard,
} from './helpers.ts';

const usb = { vid: '10c4', pid: 'ea60' };
const HUB: HubBoard[] = [
  { hub: '1-1', port: 1, serial: 'AAAA0001', tty: '/dev/ttyUSB0', ...usb },
  { hub: '1-1', port: 2, serial: 'CCCC0003', tty: '/dev/ttyUSB3', ...usb }, // hung: silent until power-cycled
  { hub: '1-2', port: 1, serial: 'BBBB0002', tty: '/dev/ttyUSB6', ...usb, attached: false, dead: true },
];
const board = (name: string, serial: string, hub: string, port: number): LabBoard => ({
  name,
  profile: 'esp32',
  serial,
  fixtures: [],
  power: { hub, port, offSeconds: 0 },
});

describe('hardware: rig boards --check', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  let hubs: ReturnType<typeof fakeHubs>;
  beforeEach(async () => {
    dir = tempDir('check');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
    hubs = fakeHubs(dir, HUB);
    SerialPortMock.binding.reset();
    for (let n = 0; n < 9; n++) SerialPortMock.binding.createPort(`/dev/ttyUSB${n}`);
  });
  afterEach(() => {
    hubs.restore();
    fake.restore();
    SerialPortMock.binding.reset();
    cleanup(dir);
  });

  it('says which boards are healthy: one answers, one comes back after a power-cycle, one is dead', async () => {
    const rec = recordingBinding();
    // A running probe prints its banner after every reset; the hung board only once its port was power-cycled.
    const seen = new Map<string, number>();
    const timer = setInterval(() => {
      const hung = hubs.state().hubs['1-1']!.ports['2']!;
      for (const [path, name] of [
        ['/dev/ttyUSB0', 'esp32-a'],
        ['/dev/ttyUSB4', 'esp32-c'],
      ] as const) {
        const releases = rec.sets.filter((s) => s.path === path && s.dtr === false && s.rts === false).length;
        const port = rec.port(path);
        if (releases > (seen.get(path) ?? 0) && port && (name === 'esp32-a' || (hung.enumerations ?? 0) > 0)) {
          seen.set(path, releases);
          port.emitData(`ets Jun  8 2016 00:22:57\r\nRIG-PROBE ready board=${name}\r\n`);
        }
      }
    }, 20);
    let checks: Awaited<ReturnType<typeof checkBoards>>;
    try {
      checks = await checkBoards({
        inventory: {
          boards: [
            board('esp32-a', 'AAAA0001', '1-1', 1),
            board('esp32-b', 'BBBB0002', '1-2', 1),
            board('esp32-c', 'CCCC0003', '1-1', 2),
          ],
        },
        profiles: await profiles(),
        probeSketch: join(ROOT, 'sketches', 'rig-probe'),
        outDir: join(dir, 'check'),
        bannerTimeoutMs: 600,
        tools: {
          cli: FAKE_CLI,
          binding: rec.binding,
          list: hubs.list,
          stateDir: join(dir, 'state'),
          power: { uhubctl: FAKE_UHUBCTL },
          recoverTimeoutMs: 1_000,
        },
      });
    } finally {
      clearInterval(timer);
    }
    const by = Object.fromEntries(checks.map((c) => [c.board, c]));
    assert.equal(by['esp32-a']?.status, 'healthy', JSON.stringify(by['esp32-a']));
    assert.equal(by['esp32-a']?.banner, 'RIG-PROBE ready board=esp32-a');
    assert.equal(by['esp32-c']?.status, 'recovered', JSON.stringify(by['esp32-c']));
    assert.equal(by['esp32-c']?.port, '/dev/ttyUSB4', 'found again by serial number after the power-cycle');
    assert.equal(by['esp32-b']?.status, 'dead', JSON.stringify(by['esp32-b']));
    assert.match(
      by['esp32-b']?.reason ?? '',
      /^board esp32-b out of service since .*: power-cycled through uhubctl hub 1-2 port 1/,
    );
    assert.equal(allHealthy(checks), false, 'rig boards --check exits 3');
    assert.equal(allHealthy(checks.filter((c) => c.board !== 'esp32-b')), true, 'a recovered board counts as healthy');
    assert.deepEqual(
      hubs
        .calls()
        .map((a) => a.slice(0, 4).join(' '))
        .sort(),
      ['-l 1-1 -p 2', '-l 1-2 -p 1'],
      'only the boards that did not answer were power-cycled',
    );
    const health = new LabHealth(join(dir, 'state', 'health'));
    assert.equal((await health.get('esp32-b')).state, 'out-of-service');
    assert.equal((await health.get('esp32-c')).state, 'ok');
    const text = formatChecks(checks);
    assert.match(text, /esp32-a\s+esp32\s+healthy\s+\/dev\/ttyUSB0\s+RIG-PROBE ready board=esp32-a/);
    assert.match(text, /esp32-b\s+esp32\s+DEAD\s+board esp32-b out of service since/);
    assert.match(text, /3 board\(s\): 1 healthy, 1 recovered by a power-cycle, 1 dead, 0 error/);
    assert.ok(existsSync(join(dir, 'check', 'esp32-a', 'rebuild.sh')), 'each board gets its rebuild commands');
  });
});
