// The `tls:` build of a board's TLS library: presets, merge order (profile, scenario "*", board, variant), the world
// file's flat form, and the checks a user's mistake meets.
import assert from 'node:assert/strict';
import { FormatError } from '../../rig/errors.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { mergeTlsBuild, PRESETS, tlsWorld } from '../../rig/scenario/tls-build.ts';

const VARS = { 'broker.ip': '127.0.0.1' };
const SCENARIO = `version: 1
id: tls-build-demo
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
broker:
  listeners: [{ port: 8883, tls: {} }]
boards: [esp32]
build:
  "*": { tls: { rsaMaxBits: 3072 } }
  esp32: { tls: { preset: esp-idf-small-buffers } }
variants:
  default: {}
  big:
    build: { esp32: { tls: { inContentLen: 16384 } } }
expect: { default: { "*": { kind: connected } }, big: { "*": { kind: connected } } }
`;

describe('tls build configuration', () => {
  it('applies a preset, then the fields written beside it and in later layers', () => {
    const t = mergeTlsBuild([
      { preset: 'arduino-esp32-2.0' },
      { preset: 'esp-idf-small-buffers', des: true },
      { inContentLen: 8192 },
    ]);
    assert.equal(t.preset, 'esp-idf-small-buffers');
    assert.deepEqual(t.curves, ['secp256r1']);
    assert.equal(t.des, true);
    assert.equal(t.inContentLen, 8192);
    assert.equal(PRESETS['arduino-esp32-2.0'].inContentLen, 16384);
  });

  it('resolves a variant: scenario "*", the board, then the variant', () => {
    const s = parseScenarioText(SCENARIO, 'demo.yaml');
    const base = resolveVariant(s, 'default', VARS).buildFor('esp32').tls;
    // The board's preset comes after "*": its rsaMaxBits (4096) wins over the scenario-wide 3072.
    assert.equal(base?.rsaMaxBits, 4096);
    assert.equal(base?.inContentLen, 4096);
    assert.equal(resolveVariant(s, 'big', VARS).buildFor('esp32').tls?.inContentLen, 16384);
    assert.equal(resolveVariant(s, 'default', VARS).buildFor('esp8266').tls?.rsaMaxBits, 3072);
  });

  it('writes lists as comma-separated text for the twin (its JSON reader skips arrays)', () => {
    assert.deepEqual(tlsWorld({ curves: ['secp256r1', 'x25519'], des: false, inContentLen: 4096 }), {
      curves: 'secp256r1,x25519',
      des: false,
      inContentLen: 4096,
    });
  });

  it('refuses an unknown curve or preset at its line', () => {
    const bad = SCENARIO.replace('preset: esp-idf-small-buffers', 'curves: [p384]');
    assert.throws(
      () => parseScenarioText(bad, 'demo.yaml'),
      (e: unknown) => e instanceof FormatError && /demo\.yaml:11:\d+/.test(e.message) && /curves/.test(e.message),
    );
    const preset = SCENARIO.replace('preset: esp-idf-small-buffers', 'preset: idf-9');
    assert.throws(() => parseScenarioText(preset, 'demo.yaml'), FormatError);
  });
});
