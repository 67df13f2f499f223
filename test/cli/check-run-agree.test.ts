// `rig check` and `rig run` validate scenarios on one path: every rejection `rig run` makes while loading a
// scenario and resolving its variants (schema, cross-references, board profiles, duplicate ids, each variant's
// PKI as buildPki plans it, a verbatim conf's placeholders, FQBN menu options and library versions the twins do not
// know) is reported by `rig check` at the same place, and what check accepts, run loads. The PKI cases are also
// thrown by buildPki itself, the session's own step.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPki, PkiError } from '../../rig/pki/index.ts';
import { projectPaths } from '../../rig/project.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';

const root = projectPaths().root;
const rig = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const HEAD = 'version: 1\nboards: [esp32]\n';
const BROKER = 'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }\n';
const PKI = 'pki:\n  ca: { subject: { CN: ca } }\n  server: { subject: { CN: s } }\n';
const VERBATIM = 'pki:\n  verbatim:\n    script: "openssl version"\n    files: { ca: ca.crt, server: server.crt }\n';
const EXPECT = 'expect: { broken: { esp32: { kind: connected } } }\n';

/** One rejection: the scenario text, then the field and a piece of the message both commands must print. */
interface Case {
  name: string;
  yaml: string;
  field: string;
  message: RegExp;
  /** A PKI rejection: buildPki on the resolved variant throws it too. */
  pkiVariant?: string;
}

const CASES: Case[] = [
  {
    name: 'schema',
    yaml: `${HEAD}id: c-schema\n${PKI}${BROKER}variants: { broken: { colour: red } }\n${EXPECT}`,
    field: 'variants.broken.colour',
    message: /unknown key/i,
  },
  {
    name: 'unknown issuer',
    yaml: `${HEAD}id: c-issuer\n${PKI.replace('{ CN: s } }', '{ CN: s }, issuer: nosuch }')}${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki.server.issuer',
    message: /no certificate named "nosuch"/,
  },
  {
    name: 'no listener on the port',
    yaml: `${HEAD}id: c-port\n${PKI}${BROKER}variants: { broken: { port: 9999 } }\n${EXPECT}`,
    field: 'variants.broken.port',
    message: /no listener on port 9999/,
  },
  {
    name: 'board with no profile',
    yaml: `version: 1\nboards: [esp33]\nid: c-board\n${PKI}${BROKER}variants: { broken: {} }\nexpect: { broken: { esp33: { kind: connected } } }\n`,
    field: 'boards[0]',
    message: /no board profile "esp33"/,
  },
  {
    name: "a variant's verbatim script over a declarative base",
    yaml: `${HEAD}id: c-verbatim-over\n${PKI}${BROKER}variants:\n  broken:\n    pki: { verbatim: { script: "openssl version", files: { ca: ca.crt, server: server.crt } } }\n${EXPECT}`,
    field: 'variants.broken.pki.verbatim',
    message: /verbatim script replaces only the scenario's script.*\(ca, server\) stay/,
    pkiVariant: 'broken',
  },
  {
    name: 'named certificates patched over a verbatim base',
    yaml: `${HEAD}id: c-named-over\n${VERBATIM}${BROKER}variants:\n  broken: { pki: { server: { subject: { CN: t } } } }\n${EXPECT}`,
    field: 'variants.broken.pki',
    message: /named certificates patched over the scenario's verbatim script/,
    pkiVariant: 'broken',
  },
  {
    name: 'issuer cycle',
    yaml: `${HEAD}id: c-cycle\npki:\n  ca: { subject: { CN: ca }, issuer: server }\n  server: { subject: { CN: s }, issuer: ca }\n${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki',
    message: /issuer cycle/,
    pkiVariant: 'broken',
  },
  {
    name: 'contradicting validity in a variant patch',
    yaml: `${HEAD}id: c-validity\n${PKI}${BROKER}variants:\n  broken: { pki: { server: { validity: { expired: true, notYetValid: true } } } }\n${EXPECT}`,
    field: 'variants.broken.pki.server.validity',
    message: /variant broken: pki\.server\.validity: expired and notYetValid contradict each other/,
    pkiVariant: 'broken',
  },
  {
    name: 'extensions on a version 1 certificate',
    yaml: `${HEAD}id: c-v1\npki:\n  ca: { subject: { CN: ca } }\n  server: { subject: { CN: s }, version: 1, san: ["DNS:s"] }\n${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki.server.san',
    message: /version 1 certificate has no extensions/,
    pkiVariant: 'broken',
  },
  {
    name: 'an EC curve on an RSA key',
    yaml: `${HEAD}id: c-curve\npki:\n  ca: { subject: { CN: ca }, key: { type: rsa, curve: P-256 } }\n  server: { subject: { CN: s } }\n${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki.ca.key.curve',
    message: /only for EC keys/,
    pkiVariant: 'broken',
  },
  {
    name: 'an unknown placeholder in the PKI',
    yaml: `${HEAD}id: c-pki-placeholder\npki:\n  ca: { subject: { CN: ca } }\n  server: { subject: { CN: s }, san: ["IP:{{broker.ipp}}"] }\n${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki.server.san',
    message: /unknown placeholder \{\{broker\.ipp\}\}/,
    pkiVariant: 'broken',
  },
  {
    name: "a verbatim script's file outside its folder",
    yaml: `${HEAD}id: c-files\npki:\n  verbatim:\n    script: "openssl version"\n    files: { ca: ../ca.crt, server: server.crt }\n${BROKER}variants: { broken: {} }\n${EXPECT}`,
    field: 'pki.verbatim.files.ca',
    message: /must be a path inside the script's folder/,
    pkiVariant: 'broken',
  },
  {
    name: 'an FQBN menu value the twin does not know',
    yaml: `${HEAD}id: c-menu\n${PKI}${BROKER}build: { esp32: { fqbnOptions: { DebugLevel: loud } } }\nvariants: { broken: {} }\n${EXPECT}`,
    field: 'build.esp32.fqbnOptions',
    message: /the esp32 menu DebugLevel has no value "loud"/,
  },
  {
    name: 'a library version the twin does not imitate',
    yaml: `${HEAD}id: c-pin\n${PKI}${BROKER}variants: { broken: { libraries: { PubSubClient: "2.5" } } }\n${EXPECT}`,
    field: 'variants.broken.libraries.PubSubClient',
    message: /the twin imitates PubSubClient 2\.6, 2\.7, 2\.8, not 2\.5/,
  },
  {
    name: "a library release the board family's version table does not cover",
    yaml: `version: 1\nboards: [mkr1000]\nid: c-table-pin\n${PKI}${BROKER}libraries: { ArduinoBearSSL: "1.9.9" }\nvariants: { broken: {} }\nexpect: { broken: { mkr1000: { kind: connected } } }\n`,
    field: 'libraries.ArduinoBearSSL',
    message: /the mkr1000 twin imitates no ArduinoBearSSL 1\.9\.9; nearest: /,
  },
  {
    name: "a verbatim conf's unknown placeholder",
    yaml: `${HEAD}id: c-conf\n${PKI}broker:\n  conf: |\n    listener 8883\n    certfile {{pki.srv.crt}}\n    keyfile {{pki.server.key}}\n    cafile {{pki.ca.crt}}\n    password_file {{passwrd}}\nclient: { port: 8883 }\nvariants: { broken: {} }\n${EXPECT}`,
    field: 'broker.conf',
    message: /\{\{pki\.srv\.crt\}\}: no PKI certificate named "srv"/,
  },
];

describe('rig check and rig run reject the same scenarios, at the same place', function () {
  this.timeout(300_000);
  let dir: string;
  let files: string[];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-check-run-'));
    files = CASES.map((c, i) => {
      const f = path.join(dir, `case-${i}.yaml`);
      writeFileSync(f, c.yaml);
      return f;
    });
    // Two files with one id: run plans them together, so check given both rejects them too.
    writeFileSync(path.join(dir, 'dup-a.yaml'), `${HEAD}id: c-dup\n${PKI}${BROKER}variants: { broken: {} }\n${EXPECT}`);
    writeFileSync(path.join(dir, 'dup-b.yaml'), `${HEAD}id: c-dup\n${PKI}${BROKER}variants: { broken: {} }\n${EXPECT}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemLines = (err: string): string[] =>
    err
      .split('\n')
      .filter((l) => l.startsWith(dir))
      .sort();

  it('every rejection: check exits 2 naming it, run (even --list) exits 2 with the very same lines', () => {
    const all = [...files, path.join(dir, 'dup-a.yaml'), path.join(dir, 'dup-b.yaml')];
    const check = rig(['check', ...all]);
    const run = rig(['run', ...all, '--list']);
    assert.equal(check.code, 2, check.err);
    assert.equal(run.code, 2, run.err);
    assert.deepEqual(problemLines(run.err), problemLines(check.err));
    CASES.forEach((c, i) => {
      const lines = problemLines(check.err).filter((l) => l.startsWith(`${files[i]}:`));
      assert.ok(lines.length > 0, `${c.name}: check did not reject it\n${check.err}`);
      const field = c.field.replace(/[.[\]]/g, '\\$&');
      const at = new RegExp(`^[^:]+:\\d+:\\d+: ${field}: `);
      assert.ok(
        lines.some((l) => at.test(l) && c.message.test(l)),
        `${c.name}: no line at ${c.field} matching ${c.message}\n${lines.join('\n')}`,
      );
    });
    assert.match(check.err, /dup-b\.yaml:1:1: id: duplicate scenario id "c-dup"/);
  });

  it("the PKI rejections are buildPki's own: the session step throws the same", async () => {
    for (const c of CASES.filter((x) => x.pkiVariant)) {
      const s = parseScenarioText(c.yaml, `${c.name}.yaml`);
      const rv = resolveVariant(s, c.pkiVariant!, { 'broker.ip': '127.0.0.1' });
      await assert.rejects(
        buildPki(rv.pki, { vars: { 'broker.ip': '127.0.0.1' }, cacheDir: path.join(dir, 'pki') }),
        (e) => {
          assert.ok(e instanceof PkiError, `${c.name}: ${String(e)}`);
          return true;
        },
      );
    }
  });

  it('what check accepts, run loads: the whole corpus passes both', () => {
    const corpus = rig([
      'check',
      ...['scenarios/matrix', 'scenarios/seeds', 'scenarios/forum'].flatMap((d) => listYaml(d)),
    ]);
    assert.equal(corpus.code, 0, corpus.err);
    const run = rig(['run', '--list']);
    assert.equal(run.code, 0, run.err);
  });
});

function listYaml(rel: string): string[] {
  const r = spawnSync('find', [path.join(root, rel), '-name', '*.yaml'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}
