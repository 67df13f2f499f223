// `rig run --target twin,hardware` through the runner: the fake arduino-cli builds and uploads, a MockBinding
// port stands in for the USB board and replays what a real ESP8266 prints (seed 002's lines, with the boot ROM's
// 74880-baud noise in front), and the report puts twin and board side by side.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPortMock } from 'serialport';
import { loadBoards } from '../../rig/boards/load.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runMatrix } from '../../rig/runner/run.ts';
import type { LabOptions } from '../../rig/target/index.ts';
import { FAKE_CLI, installAllCores, recordingBinding, useFake } from '../hardware/helpers.ts';
import { runQuiet } from '../helpers/matrix.ts';

// ESP8266 ROM banner at 74880 baud read at 115200 (garbage), then the sketch's lines as seed 002 shows them.
const BOOT_NOISE = Buffer.from([0x20, 0xe0, 0x80, 0xfe, 0x12, 0x9c, 0x0a, 0xc3, 0x28, 0x1b, 0x9f, 0x0d, 0x0a]);
const BAD_SERVER_NAME = [
  '',
  'Connecting to lab-wifi',
  'WiFi connected, IP address: 192.168.0.61',
  'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
  'SSL error: Expected server name was not found in the chain.',
];

const WIFI_PASS = 'lab-wifi-secret';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('runner: twin and hardware side by side', function () {
  this.timeout(180_000);
  const paths = projectPaths();
  let tmp: string;
  let fake: ReturnType<typeof useFake>;

  beforeEach(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-hw-run-'));
    fake = useFake(tmp);
    installAllCores(tmp, [...(await loadBoards(paths.boards)).values()]);
    SerialPortMock.binding.reset();
    SerialPortMock.binding.createPort('/dev/ttyUSB0');
  });
  afterEach(() => {
    fake.restore();
    SerialPortMock.binding.reset();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Plays the board: once the rig releases reset, the "board" boots and prints `lines`. */
  async function run(lines: string[]): Promise<Awaited<ReturnType<typeof runMatrix>>> {
    const rec = recordingBinding();
    const board = setInterval(() => {
      const released = rec.sets.some((s) => s.dtr === false && s.rts === false);
      const port = rec.port('/dev/ttyUSB0');
      if (released && port) {
        clearInterval(board);
        port.emitData(BOOT_NOISE);
        port.emitData(lines.map((l) => `${l}\r\n`).join(''));
      }
    }, 20);
    const lab: LabOptions = {
      inventory: {
        version: 1,
        boards: [{ name: 'nodemcu-1', profile: 'esp8266', serial: 'A9XK2L', fixtures: [] }],
        brokerAddress: '127.0.0.1',
      },
      env: { RIG_WIFI_SSID: 'lab-wifi', RIG_WIFI_PASS: WIFI_PASS },
      tools: {
        cli: FAKE_CLI,
        binding: rec.binding,
        stateDir: path.join(tmp, 'state'),
        list: async () => [
          { path: '/dev/ttyUSB0', vid: '1a86', pid: '7523', serialNumber: 'A9XK2L', sources: ['serialport'] },
        ],
      },
    };
    const loaded = await loadScenario(path.join(paths.scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml'));
    try {
      return await runQuiet({
        scenarios: [loaded],
        targets: ['twin', 'hardware'],
        filter: /\/broken\/esp8266$/,
        outDir: path.join(tmp, 'run'),
        sandbox: true,
        paths,
        defaultTimeoutMs: 8_000,
        lab,
      });
    } finally {
      clearInterval(board);
    }
  }

  it('the board and its twin agree on BAD_SERVER_NAME; the board was built and flashed through arduino-cli', async () => {
    const r = await run([
      ...BAD_SERVER_NAME,
      'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."',
    ]);
    const byTarget = Object.fromEntries(r.results.cells.map((c) => [c.target, c]));
    assert.equal(byTarget.twin?.status, 'pass');
    assert.equal(byTarget.hardware?.status, 'pass', JSON.stringify(byTarget.hardware));
    assert.equal(byTarget.hardware?.outcome.kind, 'tls/name-mismatch');
    assert.equal(byTarget.hardware?.outcome.code, 'bearssl:56');
    assert.deepEqual(
      fake.invocations().map((a) => a[0]),
      ['compile', 'upload'],
    );
    const summary = readFileSync(path.join(r.runDir, 'summary.md'), 'utf8');
    assert.doesNotMatch(summary, /twin≠hardware/);
    assert.doesNotMatch(readFileSync(path.join(r.runDir, 'results.json'), 'utf8'), /lab-wifi-secret/);
    assert.equal(byTarget.hardware?.core, '3.1.2', 'the core the profile installs');
    assert.equal(byTarget.twin?.core, '3.1.2');
    assert.equal(byTarget.hardware?.id, 'esp8266-san-ip-bad-server-name/broken/esp8266');
  });

  it('a board that prints the lab WiFi password leaks it into no file of the run', async () => {
    // Many sketches echo their credentials while debugging; the password comes from RIG_WIFI_PASS, not the scenario.
    const r = await run([
      '',
      `Connecting to lab-wifi with password ${WIFI_PASS}`,
      'WiFi connected, IP address: 192.168.0.61',
      ...BAD_SERVER_NAME.slice(3),
      'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."',
    ]);
    const hw = r.results.cells.find((c) => c.target === 'hardware')!;
    assert.equal(hw.status, 'pass', JSON.stringify(hw));
    const serial = readFileSync(path.join(r.runDir, hw.serialLog!), 'utf8');
    assert.match(serial, /Connecting to lab-wifi with password \*\*\*/, 'the line is kept, the password masked');
    const all = files(r.runDir);
    for (const f of ['results.json', 'junit.xml', 'summary.md', 'report.html'])
      assert.ok(all.includes(path.join(r.runDir, f)), f);
    for (const f of all)
      assert.ok(
        !readFileSync(f, 'latin1').includes(WIFI_PASS),
        `${path.relative(r.runDir, f)} holds the WiFi password`,
      );
    assert.ok(!JSON.stringify(r.results).includes(WIFI_PASS), 'the results the CLI prints');
  });

  it('a board that prints something else than its twin is flagged as a twin fidelity problem', async () => {
    const r = await run(['', 'WiFi connected', 'Attempting MQTT connection...connected', 'RIG: connected']);
    const hw = r.results.cells.find((c) => c.target === 'hardware')!;
    assert.equal(hw.status, 'fail');
    assert.match(readFileSync(path.join(r.runDir, 'summary.md'), 'utf8'), /twin≠hardware/);
  });

  it("a MKR1000 client-certificate cell needs the board's ECC508 CSR in the inventory, and says so", async () => {
    const lab: LabOptions = {
      inventory: {
        version: 1,
        boards: [{ name: 'mkr-1', profile: 'mkr1000', serial: 'MKR0001', fixtures: [] }],
        brokerAddress: '127.0.0.1',
      },
      env: { RIG_WIFI_SSID: 'lab-wifi', RIG_WIFI_PASS: WIFI_PASS },
      tools: { cli: FAKE_CLI, stateDir: path.join(tmp, 'state'), list: async () => [] },
    };
    const r = await runQuiet({
      scenarios: [await loadScenario(path.join(paths.scenarios, 'matrix', 'matrix-trust-and-auth.yaml'))],
      targets: ['hardware'],
      filter: /\/client-cert\/mkr1000$/,
      jobs: 1,
      outDir: path.join(tmp, 'run'),
      paths,
      defaultTimeoutMs: 8_000,
      lab,
    });
    const [cell] = r.results.cells;
    assert.equal(cell?.status, 'error', JSON.stringify(cell));
    assert.match(cell?.reason ?? '', /no mkr1000 in the lab inventory has ecc508\.csr/);
    assert.deepEqual(fake.invocations(), [], 'nothing was built or flashed with a certificate the board cannot use');
  });

  it("a compile error on a board is reported with the tool's words and not retried (a retry cannot fix it)", async () => {
    const sketch = path.join(tmp, 'broken');
    mkdirSync(sketch);
    writeFileSync(path.join(sketch, 'broken.ino'), 'void setup() {}\nvoid loop() {}\n#error "SECRET_CA missing"\n');
    const file = path.join(tmp, 'hw-compile-error.yaml');
    writeFileSync(
      file,
      `version: 1\nid: hw-compile-error\npki: { ca: {}, server: { san: ["DNS:broker.lab"] } }
broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }\nsketch: ${sketch}\nboards: [esp8266]
client: { connect: broker.lab }\nvariants: { default: {} }\nexpect: { default: { esp8266: { kind: connected } } }\n`,
    );
    const lab: LabOptions = {
      inventory: {
        version: 1,
        boards: [{ name: 'nodemcu-1', profile: 'esp8266', serial: 'A9XK2L', fixtures: [] }],
        brokerAddress: '127.0.0.1',
      },
      env: { RIG_WIFI_SSID: 'lab-wifi', RIG_WIFI_PASS: WIFI_PASS },
      tools: {
        cli: FAKE_CLI,
        stateDir: path.join(tmp, 'state'),
        list: async () => [
          { path: '/dev/ttyUSB0', vid: '1a86', pid: '7523', serialNumber: 'A9XK2L', sources: ['serialport'] },
        ],
      },
    };
    const r = await runQuiet({
      scenarios: [await loadScenario(file)],
      targets: ['hardware'],
      jobs: 1,
      retries: 2,
      outDir: path.join(tmp, 'run'),
      paths,
      defaultTimeoutMs: 8_000,
      lab,
    });
    const [cell] = r.results.cells;
    assert.equal(cell?.status, 'error', JSON.stringify(cell));
    assert.equal(cell?.attempts, 1, 'not retried');
    assert.match(cell?.reason ?? '', /#error "SECRET_CA missing"/);
    assert.deepEqual(
      fake.invocations().map((a) => a[0]),
      ['compile'],
    );
  });
});
