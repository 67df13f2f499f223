import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../rig/hardware/build.ts';
import { TargetError, type TargetErrorKind } from '../../rig/errors.ts';
import { FlashLedger, classifyUploadFailure, uploadImage } from '../../rig/hardware/flash.ts';
import {
  FAKE_CLI,
  UPLOAD_FAILURES,
  cleanup,
  installAllCores,
  makeSketch,
  profile,
  profiles,
  tempDir,
  useFake,
} from './helpers.ts';

interface RecordedFailure {
  name: string;
  family: string;
  kind: TargetErrorKind;
  stdout: string;
  stderr: string;
  hang?: boolean;
}
const FAILURES = (JSON.parse(readFileSync(UPLOAD_FAILURES, 'utf8')) as { failures: RecordedFailure[] }).failures;
const PORTS: Record<string, string> = { esp32: '/dev/ttyUSB0', esp8266: '/dev/ttyUSB1', mkr1000: '/dev/ttyACM0' };

describe('hardware: flash', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  const builds = new Map<string, string>();
  beforeEach(async () => {
    dir = tempDir('flash');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
    for (const id of ['esp32', 'esp8266', 'mkr1000']) {
      const info = await buildImage({
        profile: await profile(id),
        sketchDir: makeSketch(dir, `probe_${id}`, 'void setup() {}\nvoid loop() {}\n'),
        secretsHeader: '',
        cacheDir: join(dir, 'images'),
        cli: FAKE_CLI,
      });
      builds.set(id, info.buildDir);
    }
  });
  afterEach(() => {
    fake.restore();
    delete process.env.FAKE_ARDUINO_CLI_UPLOAD;
    cleanup(dir);
  });

  for (const id of ['esp32', 'esp8266', 'mkr1000']) {
    it(`uploads ${id} with arduino-cli upload -p PORT -b FQBN --input-dir BUILD`, async () => {
      const fqbn = (await profile(id)).hardware!.fqbn;
      const r = await uploadImage({
        port: PORTS[id],
        fqbn,
        buildDir: builds.get(id)!,
        timeoutMs: 30_000,
        cli: FAKE_CLI,
      });
      const upload = fake.invocations().filter((a) => a[0] === 'upload');
      assert.deepEqual(upload, [['upload', '-p', PORTS[id], '-b', fqbn, '--input-dir', builds.get(id)!]]);
      assert.match(r.output, id === 'mkr1000' ? /Verify successful/ : /Hash of data verified/);
    });
  }

  for (const f of FAILURES) {
    it(`classifies the recorded "${f.name}" upload failure as ${f.kind}, keeping the tool's message`, async () => {
      process.env.FAKE_ARDUINO_CLI_UPLOAD = f.name;
      const fqbn = (await profile(f.family)).hardware!.fqbn;
      // "hang" never exits: the upload timeout (a small one here) must kill it.
      const timeoutMs = f.hang ? 1_500 : 30_000;
      await assert.rejects(
        uploadImage({ port: PORTS[f.family], fqbn, buildDir: builds.get(f.family)!, timeoutMs, cli: FAKE_CLI }),
        (e: unknown) => {
          assert.ok(e instanceof TargetError, 'a TargetError');
          assert.equal(e.kind, f.kind);
          const firstToolLine = (f.stderr || f.stdout).split('\n')[0];
          assert.ok(e.toolMessage.includes(firstToolLine), `tool message kept: ${e.toolMessage}`);
          assert.match(e.message, new RegExp(`upload to ${PORTS[f.family]}`));
          return true;
        },
      );
    });
  }

  it('names the fatal line, not only "exit status", in the error message', async () => {
    process.env.FAKE_ARDUINO_CLI_UPLOAD = 'mkr1000-no-device';
    await assert.rejects(
      uploadImage({
        port: '/dev/ttyACM0',
        fqbn: 'arduino:samd:mkr1000',
        buildDir: builds.get('mkr1000')!,
        timeoutMs: 30_000,
        cli: FAKE_CLI,
      }),
      /upload to \/dev\/ttyACM0 failed \(no-board\): No device found on \/dev\/ttyACM0/,
    );
  });

  it('classifies the serialport lock message and unknown text', () => {
    assert.equal(classifyUploadFailure('Error Resource temporarily unavailable Cannot lock port'), 'port-busy');
    assert.equal(classifyUploadFailure('Error: No such file or directory, cannot open /dev/ttyUSB9'), 'no-board');
    assert.equal(classifyUploadFailure('something unexpected happened'), 'generic');
  });

  it('FlashLedger remembers the image per board identity and forgets it', async () => {
    const ledger = new FlashLedger(join(dir, 'flashed'));
    assert.equal(await ledger.get('0001A1B2'), undefined);
    await ledger.record({
      board: 'esp32-a',
      identity: '0001A1B2',
      hash: 'abc',
      fqbn: 'esp32:esp32:esp32',
      port: '/dev/ttyUSB0',
      at: new Date(0).toISOString(),
    });
    await ledger.record({
      board: 'esp32-b',
      identity: 'platform-usb-0:1.2:1.0',
      hash: 'def',
      fqbn: 'esp32:esp32:esp32',
      port: '/dev/ttyUSB1',
      at: new Date(0).toISOString(),
    });
    assert.equal((await ledger.get('0001A1B2'))?.hash, 'abc');
    assert.equal((await ledger.get('platform-usb-0:1.2:1.0'))?.hash, 'def');
    await ledger.forget('0001A1B2');
    assert.equal(await ledger.get('0001A1B2'), undefined);
  });
});
