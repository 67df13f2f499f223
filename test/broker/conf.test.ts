import assert from 'node:assert/strict';
import { keyWanted, renderStructuredConf, renderVerbatimConf } from '../../rig/broker/conf.ts';
import { logicalPorts } from '../../rig/scenario/ports.ts';
import type { StagedFiles } from '../../rig/broker/files.ts';
import { BrokerSpec } from '../../rig/scenario/schema.ts';
import { seed000Conf, seed002Conf } from './helpers/seeds.ts';

const D = '/run/b';
const files: StagedFiles = {
  hostDir: D,
  targetDir: D,
  dataDir: `${D}/data`,
  passwd: `${D}/passwd`,
  acl: `${D}/acl`,
  files: [],
  notes: [],
  certs: {
    ca: { crt: `${D}/certs/ca.crt` },
    server: { crt: `${D}/certs/server.crt`, key: `${D}/certs/server.key` },
    client: { crt: `${D}/certs/client.crt` },
  },
  byFileName: {
    'ca.crt': `${D}/certs/ca.crt`,
    'server.crt': `${D}/certs/server.crt`,
    'server.key': `${D}/certs/server.key`,
  },
};
const lines = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('broker conf rendering', () => {
  it('structured: two listeners, TLS options, log settings', () => {
    const spec = BrokerSpec.parse({
      users: { alice: 'pw' },
      allowAnonymous: false,
      listeners: [
        {
          port: 8883,
          tls: {
            cert: 'server',
            requireCertificate: true,
            useIdentityAsUsername: true,
            version: 'tlsv1.3',
            ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
            ciphersTls13: 'TLS_AES_128_GCM_SHA256',
          },
        },
        { port: 1883 },
      ],
    });
    const r = renderStructuredConf(spec, files, { 8883: 40001, 1883: 40002 });
    const l = lines(r.text);
    for (const want of [
      'log_dest stderr',
      'connection_messages true',
      'log_type all',
      'allow_anonymous false',
      `password_file ${D}/passwd`,
      `acl_file ${D}/acl`,
    ])
      assert.ok(l.includes(want), want);
    assert.ok(!l.some((x) => /log_dest stdout/.test(x)));
    const tls = l.slice(l.indexOf('listener 40001'), l.indexOf('listener 40002'));
    assert.deepEqual(tls, [
      'listener 40001',
      `cafile ${D}/certs/ca.crt`,
      `certfile ${D}/certs/server.crt`,
      `keyfile ${D}/certs/server.key`,
      'require_certificate true',
      'use_identity_as_username true',
      'tls_version tlsv1.3',
      'ciphers ECDHE-RSA-AES128-GCM-SHA256',
      'ciphers_tls1.3 TLS_AES_128_GCM_SHA256',
    ]);
    assert.equal(l.at(-1), 'listener 40002');
  });

  it('structured: per-listener settings put auth under each listener', () => {
    const spec = BrokerSpec.parse({
      perListenerSettings: true,
      users: { a: 'b' },
      listeners: [
        { port: 1883, passwordFile: true, allowAnonymous: false },
        { port: 1884, passwordFile: false, allowAnonymous: true },
      ],
    });
    const l = lines(renderStructuredConf(spec, { ...files, acl: undefined }, { 1883: 1, 1884: 2 }).text);
    assert.ok(l.includes('per_listener_settings true'));
    assert.deepEqual(l.slice(l.indexOf('listener 1')), [
      'listener 1',
      'allow_anonymous false',
      `password_file ${D}/passwd`,
      'listener 2',
      'allow_anonymous true',
    ]);
  });

  it('structured: anonymous by default only without users, and says so', () => {
    const r = renderStructuredConf(BrokerSpec.parse({ listeners: [{ port: 1883 }] }), files, { 1883: 5 });
    assert.ok(lines(r.text).includes('allow_anonymous true'));
    assert.match(r.notes.join('\n'), /allow_anonymous not given/);
  });

  it('structured: the server chain file (leaf + intermediates) is the certfile when the PKI made one', () => {
    const withChain: StagedFiles = {
      ...files,
      certs: { ...files.certs, server: { ...files.certs.server, chain: `${D}/certs/server.chain.crt` } },
    };
    const l = lines(
      renderStructuredConf(BrokerSpec.parse({ listeners: [{ port: 8883, tls: {} }] }), withChain, { 8883: 1 }).text,
    );
    assert.ok(l.includes(`certfile ${D}/certs/server.chain.crt`));
  });

  it('structured: unknown certificate names the field', () => {
    const spec = BrokerSpec.parse({ listeners: [{ port: 8883, tls: { cert: 'nope' } }] });
    assert.throws(
      () => renderStructuredConf(spec, files, { 8883: 1 }),
      /broker\.listeners\[0\]\.tls\.cert: no PKI certificate named "nope"/,
    );
    const noKey = BrokerSpec.parse({ listeners: [{ port: 8883, tls: { cert: 'client' } }] });
    assert.throws(() => renderStructuredConf(noKey, files, { 8883: 1 }), /has no private key/);
  });

  it('verbatim seed 002: paths mapped by file name, sandbox-hostile lines neutralised and noted', () => {
    const conf = seed002Conf();
    assert.deepEqual(logicalPorts({ conf }).sort(), [1883, 8883]);
    const r = renderVerbatimConf(conf, files, { 1883: 41883, 8883: 48883 });
    const l = lines(r.text);
    assert.deepEqual(
      l.filter((x) => x.startsWith('listener')),
      ['listener 41883', 'listener 48883'],
    );
    assert.deepEqual(
      l.filter((x) => /^(cafile|certfile|keyfile|password_file)/.test(x)),
      [
        `password_file ${D}/passwd`,
        `certfile ${D}/certs/server.crt`,
        `keyfile ${D}/certs/server.key`,
        `cafile ${D}/certs/ca.crt`,
        `password_file ${D}/passwd`,
      ],
    );
    for (const gone of [/^pid_file/, /^include_dir/, /^log_dest file/])
      assert.ok(!l.some((x) => gone.test(x)), String(gone));
    assert.ok(l.includes(`persistence_location ${D}/data/`));
    assert.ok(l.includes('log_dest stderr'));
    for (const kept of [
      'per_listener_settings true',
      'require_certificate true',
      'tls_version tlsv1.2',
      'log_type all',
      'protocol mqtt',
    ]) {
      assert.ok(l.includes(kept), kept);
    }
    const notes = r.notes.join('\n');
    for (const n of [
      /pid_file/,
      /include_dir/,
      /log_dest file/,
      /persistence_location/,
      /listener 1883 → 41883/,
      /certfile \/etc\/mosquitto\/certs\/server\.crt → /,
    ])
      assert.match(notes, n);
    // Comments are kept, and the neutralised lines stay visible as comments.
    assert.match(r.text, /# \[rig\] pid_file \/run\/mosquitto\/mosquitto\.pid/);
  });

  it('verbatim seed 000: no listener line, so one is added for the default port', () => {
    const conf = seed000Conf();
    assert.deepEqual(logicalPorts({ conf }), [1883]);
    const r = renderVerbatimConf(conf, files, { 1883: 45555 });
    assert.equal(lines(r.text)[0], 'listener 45555');
    assert.match(r.notes.join('\n'), /no listener line/);
  });

  it('verbatim placeholders, and an unknown one is an error', () => {
    const conf =
      'listener {{port.8883}}\ncertfile {{pki.server.crt}}\nkeyfile {{pki.server.key}}\npassword_file {{passwd}}\n# host {{broker.ip}}';
    const r = renderVerbatimConf(conf, files, { 8883: 1234 }, { 'broker.ip': '127.0.0.1' });
    assert.deepEqual(
      lines(r.text).filter((l) => !l.startsWith('log_type ')),
      [
        'listener 1234',
        `certfile ${D}/certs/server.crt`,
        `keyfile ${D}/certs/server.key`,
        `password_file ${D}/passwd`,
        'set_tcp_nodelay true',
      ],
    );
    assert.match(r.text, /# host 127\.0\.0\.1/);
    assert.throws(
      () => renderVerbatimConf('listener {{port.1}}\n{{nope}}', files, { 1: 2 }),
      /unknown placeholder \{\{nope\}\}/,
    );
    assert.throws(() => renderVerbatimConf('certfile {{pki.zzz.crt}}', files, {}), /no PKI certificate named "zzz"/);
  });

  it('verbatim: stdout logging replaced, restricted log_type widened', () => {
    const r = renderVerbatimConf('listener 1\nlog_dest stdout\nlog_type error\nuser root', files, { 1: 9 });
    const l = lines(r.text);
    assert.ok(!l.includes('log_dest stdout'));
    assert.ok(l.includes('log_dest stderr'));
    assert.ok(l.includes('log_type information'));
    assert.ok(l.includes('log_type debug'), 'PUBLISH lines name the publisher only at debug');
    assert.ok(!l.includes('user root'));
    assert.match(r.notes.join('\n'), /block-buffers stdout/);
  });

  it("every conf logs the debug PUBLISH lines the runner attributes messages by, keeping mosquitto's defaults", () => {
    const none = lines(renderVerbatimConf('listener 1', files, { 1: 9 }).text);
    for (const t of ['error', 'warning', 'notice', 'information', 'debug'])
      assert.ok(none.includes(`log_type ${t}`), t);
    const all = lines(renderVerbatimConf('listener 1\nlog_type all', files, { 1: 9 }).text);
    assert.deepEqual(
      all.filter((l) => l.startsWith('log_type')),
      ['log_type all'],
    );
    const structured = renderStructuredConf(
      BrokerSpec.parse({ listeners: [{ port: 1 }], logType: ['error', 'notice'] }),
      files,
      { 1: 9 },
    );
    assert.ok(lines(structured.text).includes('log_type debug'));
    assert.match(structured.notes.join('\n'), /log_type debug/);
  });

  it("turns Nagle off (set_tcp_nodelay) unless the conf chose, so no packet waits for a client's delayed ACK", () => {
    const structured = renderStructuredConf(BrokerSpec.parse({ listeners: [{ port: 1 }] }), files, { 1: 9 });
    assert.ok(lines(structured.text).includes('set_tcp_nodelay true'));
    const added = renderVerbatimConf('listener 1', files, { 1: 9 });
    assert.ok(lines(added.text).includes('set_tcp_nodelay true'));
    assert.match(added.notes.join('\n'), /"set_tcp_nodelay true" added/);
    const theirs = renderVerbatimConf('listener 1\nset_tcp_nodelay false', files, { 1: 9 });
    assert.deepEqual(
      lines(theirs.text).filter((l) => l.startsWith('set_tcp_nodelay')),
      ['set_tcp_nodelay false'],
    );
    assert.doesNotMatch(theirs.notes.join('\n'), /set_tcp_nodelay/);
  });

  it('only the server keys are given to the broker', () => {
    const s = keyWanted(BrokerSpec.parse({ listeners: [{ port: 1, tls: { cert: 'server' } }] }));
    assert.equal(s('server', 'server.key'), true);
    assert.equal(s('ca', 'ca.key'), false);
    const v = keyWanted({ conf: seed002Conf() });
    assert.equal(v('server', 'server.key'), true);
    assert.equal(v('ca', 'ca.key'), false);
  });
});

describe('verbatim conf: "port" without "listener"', () => {
  it('maps the port line itself and adds no 1883 listener', () => {
    const files = { byFileName: {}, dataDir: '/tmp/x', notes: [] } as unknown as StagedFiles;
    const r = renderVerbatimConf('port 8883\ncafile /etc/mosquitto/ca.crt\n', files, { 8883: 41000 });
    assert.match(r.text, /^port 41000$/m);
    assert.doesNotMatch(r.text, /^listener/m);
  });
});
