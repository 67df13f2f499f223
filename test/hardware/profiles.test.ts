import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BoardProfile } from '../../rig/boards/profile.ts';
import { fqbnFor } from '../../rig/hardware/build.ts';
import { ROOT, profile } from './helpers.ts';

describe('hardware: board profiles', () => {
  for (const id of ['esp32', 'esp8266', 'mkr1000']) {
    it(`${id}.yaml has a hardware section that BoardProfile accepts`, () => {
      const raw = parse(readFileSync(join(ROOT, 'boards', `${id}.yaml`), 'utf8')) as Record<string, unknown>;
      const p = BoardProfile.parse(raw);
      assert.ok(p.hardware, 'hardware section present');
      assert.match(p.hardware.fqbn, /^[^:]+:[^:]+:[^:]+/);
      assert.ok(p.hardware.usb.length > 0, 'USB ids listed');
    });
  }

  it('pins the agreed FQBNs, cores, libraries and USB identities', async () => {
    const esp32 = (await profile('esp32')).hardware!;
    assert.equal(esp32.fqbn, 'esp32:esp32:esp32:DebugLevel=error');
    assert.deepEqual(esp32.core, {
      id: 'esp32:esp32',
      version: '2.0.17',
      url: 'https://espressif.github.io/arduino-esp32/package_esp32_index.json',
    });
    assert.deepEqual(
      esp32.usb.map((u) => `${u.vid}:${u.pid}`),
      ['10c4:ea60', '1a86:7523', '0403:6001'],
    );
    assert.equal(esp32.reset, 'dtr-rts');

    const esp8266 = (await profile('esp8266')).hardware!;
    assert.equal(esp8266.core.version, '3.1.2');
    assert.equal(esp8266.bootNoiseBaud, 74880);
    assert.equal(fqbnFor(esp8266), 'esp8266:esp8266:nodemcuv2');
    assert.equal(fqbnFor(esp8266, 'ssl-debug'), 'esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSL');

    const mkr = (await profile('mkr1000')).hardware!;
    assert.equal(mkr.fqbn, 'arduino:samd:mkr1000');
    assert.deepEqual(mkr.core, { id: 'arduino:samd', version: '1.8.14' });
    assert.deepEqual(mkr.libraries, [
      'PubSubClient@2.8',
      'ArduinoBearSSL@1.7.7',
      'ArduinoECCX08@1.3.8',
      'WiFi101@0.16.1',
      'ArduinoJson@6.21.5',
      'OneWire@2.3.8',
      'DallasTemperature@3.9.0',
    ]);
    // ArduinoCore-samd 1.8.14 boards.txt mkr1000.vid/pid.0-3: the sketch's ids, then the bootloader's.
    assert.deepEqual(mkr.usb, [
      { vid: '2341', pid: '804e' },
      { vid: '2341', pid: '824e' },
    ]);
    assert.deepEqual(mkr.bootloaderUsb, [
      { vid: '2341', pid: '004e' },
      { vid: '2341', pid: '024e' },
    ]);
    assert.equal(mkr.reset, 'touch-1200');
    assert.equal(mkr.reenumerates, true);
  });

  it('merges a variant into FQBN options that already exist', async () => {
    const esp32 = (await profile('esp32')).hardware!;
    const hw = { ...esp32, fqbnVariants: { verbose: 'DebugLevel=verbose,PSRAM=enabled' } };
    assert.equal(fqbnFor(hw, 'verbose'), 'esp32:esp32:esp32:DebugLevel=verbose,PSRAM=enabled');
    assert.throws(() => fqbnFor(hw, 'nope'), /unknown fqbn variant "nope"/);
  });

  it('rejects a bad hardware block with the field named', () => {
    const r = BoardProfile.safeParse({
      version: 1,
      id: 'x',
      name: 'x',
      family: 'esp32',
      stack: 'mbedtls',
      hardware: {
        fqbn: 'esp32:esp32:esp32',
        core: { id: 'esp32:esp32', version: '2.0.17' },
        usb: [{ vid: '0x10C4', pid: 'ea60' }],
      },
    });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['hardware', 'usb', 0, 'vid']);
  });
});
