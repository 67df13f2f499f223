import { strict as assert } from 'node:assert';
import { setupHardware, requirements } from '../../rig/hardware/setup.ts';
import { TargetError } from '../../rig/errors.ts';
import { FAKE_CLI, cleanup, profile, profiles, tempDir, useFake } from './helpers.ts';

const URLS =
  'https://espressif.github.io/arduino-esp32/package_esp32_index.json,https://arduino.esp8266.com/stable/package_esp8266com_index.json';

describe('hardware: setup', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  beforeEach(() => {
    dir = tempDir('setup');
    fake = useFake(dir);
  });
  afterEach(() => {
    fake.restore();
    cleanup(dir);
  });

  it('installs pinned cores (with --additional-urls) and libraries, then does nothing the second time', async () => {
    const all = [...(await profiles()).values()];
    const first = await setupHardware(all, { cli: FAKE_CLI });
    const calls = fake.invocations();
    const g = ['--additional-urls', URLS];
    assert.deepEqual(calls, [
      ['core', 'list', '--json', ...g],
      ['lib', 'list', '--json', ...g],
      ['core', 'update-index', ...g],
      ['core', 'install', 'esp32:esp32@2.0.17', ...g],
      ['core', 'install', 'esp8266:esp8266@3.1.2', ...g],
      ['core', 'install', 'arduino:samd@1.8.14', ...g],
      ['lib', 'update-index', ...g],
      ['lib', 'install', '--no-deps', 'PubSubClient@2.8', ...g],
      ['lib', 'install', '--no-deps', 'ArduinoBearSSL@1.7.7', ...g],
      ['lib', 'install', '--no-deps', 'ArduinoECCX08@1.3.8', ...g],
      ['lib', 'install', '--no-deps', 'WiFi101@0.16.1', ...g],
      ['lib', 'install', '--no-deps', 'ArduinoJson@6.21.5', ...g],
      ['lib', 'install', '--no-deps', 'OneWire@2.3.8', ...g],
      ['lib', 'install', '--no-deps', 'DallasTemperature@3.9.0', ...g],
      ['lib', 'install', '--no-deps', 'WiFiNINA@1.8.14', ...g],
    ]);
    assert.deepEqual(first.coresInstalled, ['esp32:esp32@2.0.17', 'esp8266:esp8266@3.1.2', 'arduino:samd@1.8.14']);

    const second = await setupHardware(all, { cli: FAKE_CLI });
    const again = fake.invocations().slice(calls.length);
    assert.deepEqual(
      again.map((a) => a.slice(0, 2).join(' ')),
      ['core list', 'lib list'],
      'only lists: no index update, no install',
    );
    assert.deepEqual(second.coresInstalled, []);
    assert.equal(second.coresPresent.length, 3);
    assert.equal(second.librariesPresent.length, 8);
  });

  it('reinstalls a core present at another version', async () => {
    const esp32 = await profile('esp32');
    await setupHardware([esp32], { cli: FAKE_CLI });
    const bumped = { ...esp32, hardware: { ...esp32.hardware!, core: { ...esp32.hardware!.core, version: '2.0.16' } } };
    const r = await setupHardware([bumped], { cli: FAKE_CLI });
    assert.deepEqual(r.coresInstalled, ['esp32:esp32@2.0.16']);
  });

  it('rejects two profiles pinning one core at different versions', async () => {
    const esp32 = await profile('esp32');
    const other = {
      ...esp32,
      id: 'esp32-old',
      hardware: { ...esp32.hardware!, core: { ...esp32.hardware!.core, version: '1.0.6' } },
    };
    assert.throws(
      () => requirements([esp32, other]),
      (e: unknown) => e instanceof TargetError && /esp32:esp32 at 2\.0\.17 and 1\.0\.6/.test(e.message),
    );
  });

  it("reports an install failure with the tool's message", async () => {
    const esp32 = await profile('esp32');
    const noUrl = { ...esp32, hardware: { ...esp32.hardware!, core: { id: 'esp32:esp32', version: '2.0.17' } } };
    await assert.rejects(
      setupHardware([noUrl], { cli: FAKE_CLI }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'setup-failed' &&
        /Maybe you need to add a 3rd party URL/.test(e.toolMessage),
    );
  });
});
