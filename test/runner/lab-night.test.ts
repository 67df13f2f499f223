// A night in the lab without a person: one board is dead all night (not on USB, and a power-cycle through its hub
// port does not bring it back). It is power-cycled once, taken out of service, its cells are errors saying so,
// and the other board's cells run and pass. The fake arduino-cli builds and uploads, the fake uhubctl switches
// the hub port, serialport's MockBinding plays the healthy ESP8266.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPortMock } from 'serialport';
import { loadBoards } from '../../rig/boards/load.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runMatrix } from '../../rig/runner/run.ts';
import type { LabOptions } from '../../rig/target/index.ts';
import { FAKE_CLI, FAKE_UHUBCTL, fakeHubs, installAllCores, recordingBinding, useFake } from '../hardware/helpers.ts';
import { runQuiet } from '../helpers/matrix.ts';

const NAME_MISMATCH = 'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."';

describe('runner: a board dead for the whole night', function () {
  this.timeout(180_000);
  const paths = projectPaths();
  let tmp: string;
  let fake: ReturnType<typeof useFake>;
  let hubs: ReturnType<typeof fakeHubs>;

  beforeEach(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-lab-night-'));
    fake = useFake(tmp);
    installAllCores(tmp, [...(await loadBoards(paths.boards)).values()]);
    hubs = fakeHubs(tmp, [
      {
        hub: '1-1',
        port: 2,
        serial: '0001A1B2',
        vid: '10c4',
        pid: 'ea60',
        tty: '/dev/ttyUSB1',
        attached: false,
        dead: true,
      },
    ]);
    SerialPortMock.binding.reset();
    for (let n = 0; n < 4; n++) SerialPortMock.binding.createPort(`/dev/ttyUSB${n}`);
  });
  afterEach(() => {
    hubs.restore();
    fake.restore();
    SerialPortMock.binding.reset();
    rmSync(tmp, { recursive: true, force: true });
  });

  function scenario(): string {
    const sketch = path.join(tmp, 'night');
    mkdirSync(sketch);
    writeFileSync(path.join(sketch, 'night.ino'), 'void setup() {}\nvoid loop() {}\n');
    // A deprecated .pde file: arduino-cli warns (warn_deprecated.go) and the report must say so.
    writeFileSync(path.join(sketch, 'helpers.pde'), '');
    const file = path.join(tmp, 'lab-night.yaml');
    const exp = '{ esp32: { kind: tls/name-mismatch }, esp8266: { kind: tls/name-mismatch } }';
    writeFileSync(
      file,
      `version: 1\nid: lab-night\npki: { ca: {}, server: { san: ["DNS:broker.lab"] } }
broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }\nsketch: ${sketch}\nboards: [esp32, esp8266]
client: { connect: broker.lab }\nvariants: { first: {}, second: {} }\nexpect: { first: ${exp}, second: ${exp} }\n`,
    );
    return file;
  }

  /** The healthy ESP8266 on /dev/ttyUSB0: every time the rig releases reset, it boots and prints its line. */
  function playEsp8266(rec: ReturnType<typeof recordingBinding>): () => void {
    let boots = 0;
    const timer = setInterval(() => {
      const releases = rec.sets.filter((s) => s.path === '/dev/ttyUSB0' && s.dtr === false && s.rts === false).length;
      const port = rec.port('/dev/ttyUSB0');
      if (releases > boots && port) {
        boots = releases;
        port.emitData(`\r\nWiFi connected\r\n${NAME_MISMATCH}\r\n`);
      }
    }, 20);
    return () => clearInterval(timer);
  }

  it("power-cycles it once, takes it out of service, and the other board's cells still pass", async () => {
    const rec = recordingBinding();
    const stop = playEsp8266(rec);
    const lab: LabOptions = {
      inventory: {
        version: 1,
        boards: [
          { name: 'nodemcu-1', profile: 'esp8266', serial: 'A9XK2L', fixtures: [] },
          {
            name: 'esp32-a',
            profile: 'esp32',
            serial: '0001A1B2',
            fixtures: [],
            power: { hub: '1-1', port: 2, offSeconds: 0 },
          },
        ],
        brokerAddress: '127.0.0.1',
      },
      env: { RIG_WIFI_SSID: 'lab-wifi', RIG_WIFI_PASS: 'lab-pass' },
      tools: {
        cli: FAKE_CLI,
        uhubctl: FAKE_UHUBCTL,
        binding: rec.binding,
        stateDir: path.join(tmp, 'state'),
        recoverTimeoutMs: 1_000,
        list: async () => [
          { path: '/dev/ttyUSB0', vid: '1a86', pid: '7523', serialNumber: 'A9XK2L', sources: ['serialport'] },
          ...(await hubs.list()),
        ],
      },
    };
    let r: Awaited<ReturnType<typeof runMatrix>>;
    try {
      r = await runQuiet({
        scenarios: [await loadScenario(scenario())],
        targets: ['hardware'],
        retries: 1,
        outDir: path.join(tmp, 'run'),
        paths,
        defaultTimeoutMs: 8_000,
        lab,
      });
    } finally {
      stop();
    }
    const by = (board: string) => r.results.cells.filter((c) => c.board === board);
    assert.deepEqual(
      by('esp8266').map((c) => c.status),
      ['pass', 'pass'],
      JSON.stringify(by('esp8266').map((c) => c.reason)),
    );
    for (const c of by('esp32')) {
      assert.equal(c.status, 'error', JSON.stringify(c));
      assert.match(
        c.reason ?? '',
        /board esp32-a out of service since \d{4}-\d\d-\d\dT[^:]+:\d\d:\d\d\.\d+Z: power-cycled through uhubctl hub 1-1 port 2/,
      );
    }
    for (const c of by('esp8266'))
      assert.match(
        c.notes?.[0] ?? '',
        /^arduino-cli: Sketches with \.pde extension are deprecated/,
        'warnings surfaced',
      );
    assert.match(readFileSync(path.join(r.runDir, 'junit.xml'), 'utf8'), /note: arduino-cli: Sketches with \.pde/);
    assert.equal(hubs.calls().length, 1, 'power-cycled once, not once per cell');
    assert.equal(
      by('esp32').reduce((n, c) => n + c.attempts, 0),
      3,
      'not attempted again once out of service',
    );
    // The cell that got as far as a build carries the commands to rebuild and reflash it by hand.
    const withScript = by('esp32').filter((c) => c.reproduce);
    assert.equal(withScript.length, 1);
    assert.match(withScript[0]!.reproduce!, /^sh cells\/.+\/rebuild\.sh$/);
    const lab_ = JSON.parse(readFileSync(path.join(r.runDir, 'lab.json'), 'utf8')) as {
      boards: { board: string; state: string }[];
    };
    assert.deepEqual(
      lab_.boards.map((b) => [b.board, b.state]),
      [
        ['nodemcu-1', 'ok'],
        ['esp32-a', 'out-of-service'],
      ],
    );
    assert.match(readFileSync(path.join(r.runDir, 'summary.md'), 'utf8'), /rebuild and reflash it by hand/);
  });
});
