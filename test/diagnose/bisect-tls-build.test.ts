// rig bisect's new axes: what the firmware's TLS build left out (curves, input buffer, RSA limit) and a broker
// personality's ALPN rule become single changes to try.
import assert from 'node:assert/strict';
import { generateCandidates } from '../../rig/bisect/candidates.ts';

const base = {
  certs: [],
  checkedName: 'broker.lab',
  connect: 'broker.lab',
  byIp: false,
  ca: 'ca',
  insecure: false,
  clock: { ntp: true },
  broker: { listeners: [] },
  board: 'esp32',
  now: new Date(),
};

describe('bisect: TLS build and broker personality axes', () => {
  it('puts back a left-out curve, a small input buffer and an RSA limit, one change each', () => {
    const c = generateCandidates({
      ...base,
      tlsBuild: { curves: ['secp256r1'], inContentLen: 4096, rsaMaxBits: 2048 },
    });
    const ids = c.filter((x) => x.slot === 'build').map((x) => x.id);
    assert.deepEqual(ids, ['build=curves', 'build=in-16384', 'build=rsa-4096']);
    assert.deepEqual(c.find((x) => x.id === 'build=in-16384')?.patch, {
      build: { esp32: { tls: { inContentLen: 16384 } } },
    });
  });

  it('a build at the library defaults offers no build change', () => {
    const c = generateCandidates({ ...base, tlsBuild: { inContentLen: 16384, rsaMaxBits: 4096 } });
    assert.equal(c.filter((x) => x.slot === 'build').length, 0);
  });

  it('offers ALPN x-amzn-mqtt-ca only where the aws-iot front routes by it (port 443)', () => {
    const aws = { listeners: [{ port: 443, tls: { cert: 'server' } }], personality: 'aws-iot' as const };
    const on443 = generateCandidates({ ...base, broker: aws, port: 443 });
    assert.deepEqual(on443.find((x) => x.id === 'alpn=x-amzn-mqtt-ca')?.patch.config, { ALPN: 'x-amzn-mqtt-ca' });
    assert.equal(
      generateCandidates({ ...base, broker: aws, port: 8883 }).find((x) => x.slot === 'alpn'),
      undefined,
    );
  });
});

describe('diagnose: TLS build and broker personality explanations', () => {
  it('explains a left-out curve, an oversize record, an RSA limit and a refused ALPN', async () => {
    const { BUILD_RULES } = await import('../../rig/diagnose/build-rules.ts');
    const certs = [
      { name: 'server', key: 'EC P-384' },
    ] as unknown as import('../../rig/results/schema.ts').CertSummary[];
    const explain = (outcome: import('../../rig/results/schema.ts').Outcome) =>
      BUILD_RULES.map((r) => r({ certs, outcome })).find((e) => e !== undefined);
    assert.equal(explain({ kind: 'tls/unsupported-curve', code: 'mbedtls:-14848' })?.rule, 'unsupported-curve');
    assert.match(explain({ kind: 'tls/unsupported-curve' })?.title ?? '', /server EC P-384/);
    assert.equal(explain({ kind: 'tls/record-too-large', code: 'mbedtls:-29184' })?.rule, 'record-too-large');
    assert.equal(explain({ kind: 'tls/key-too-large' })?.rule, 'key-too-large');
    const alpn = explain({
      kind: 'tls/handshake-failed',
      refinedKind: 'tls/alpn-required',
      refinedBy: 'aws-iot front refused x: no ALPN',
    });
    assert.equal(alpn?.rule, 'alpn-required');
    assert.equal(explain({ kind: 'tls/handshake-failed' }), undefined);
  });
});

describe('diagnose and bisect: cloud broker roots and CONNECT size', () => {
  type CertSummary = import('../../rig/results/schema.ts').CertSummary;
  type Outcome = import('../../rig/results/schema.ts').Outcome;
  const cert = (name: string, subject: string, issuer: string): CertSummary =>
    ({ name, subject, issuer, key: 'RSA 2048', isCA: name !== 'server', san: [] }) as unknown as CertSummary;
  const azure = [
    cert('baltimore', 'CN=Baltimore CyberTrust Root (rig)', 'CN=Baltimore CyberTrust Root (rig)'),
    cert('ca', 'CN=DigiCert Global Root G2 (rig)', 'CN=DigiCert Global Root G2 (rig)'),
    cert('intermediate', 'CN=Microsoft Azure RSA TLS Issuing CA 03 (rig)', 'CN=DigiCert Global Root G2 (rig)'),
    cert('server', 'CN=*.azure-devices.net', 'CN=Microsoft Azure RSA TLS Issuing CA 03 (rig)'),
  ];

  it("explains a board that trusts only Baltimore before a G2 chain, and a CONNECT over PubSubClient's buffer", async () => {
    const { BUILD_RULES } = await import('../../rig/diagnose/build-rules.ts');
    const explain = (certs: CertSummary[], outcome: Outcome) =>
      BUILD_RULES.map((r) => r({ certs, outcome })).find((e) => e !== undefined);
    const g2 = explain(azure, { kind: 'tls/untrusted', code: 'mbedtls:-9984' });
    assert.equal(g2?.rule, 'root-migrated');
    assert.match(g2?.why ?? '', /DigiCert Global Root G2/);
    assert.equal(explain(azure.slice(1), { kind: 'tls/untrusted', code: 'mbedtls:-9984' }), undefined);
    const big = explain([], {
      kind: 'mqtt/packet-too-large',
      code: 'pubsubclient-too-large:connect',
      detail: 'PubSubClient 2.8: connect of 343 bytes > its 256-byte buffer',
    });
    assert.equal(big?.rule, 'connect-too-large');
    assert.match(big?.fixes.join(' ') ?? '', /setBufferSize\(512\)/);
    assert.equal(explain([], { kind: 'mqtt/packet-too-large', code: 'pubsubclient-too-large:publish' }), undefined);
  });

  it('bisect gives the G2 root as trust=ca and a buffer that holds the CONNECT', () => {
    const c = generateCandidates({
      ...base,
      certs: azure,
      ca: 'baltimore',
      stack: 'mbedtls',
      facts: ['pubsubclient-too-large:connect', 'PubSubClient 2.8: connect of 700 bytes > its 256-byte buffer'],
    });
    assert.equal(c.find((x) => x.id === 'trust=ca')?.patch.ca, 'ca');
    const buf = c.find((x) => x.slot === 'buffer');
    assert.equal(buf?.id, 'buffer=1024');
    assert.deepEqual(buf?.patch.config, { BUFFER_SIZE: 1024 });
    assert.equal(
      generateCandidates({ ...base, stack: 'arduinobearssl', facts: ['pubsubclient-too-large:connect'] }).find(
        (x) => x.slot === 'buffer',
      ),
      undefined,
    );
  });
});
