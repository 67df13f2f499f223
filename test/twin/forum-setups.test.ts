// The common forum setups of the last years as scenarios, run end to end on twins: certificates from SPIFFS and
// LittleFS (PEM and DER), NTPClient's clock, PubSubClient buffer sizes per version, the user's own libraries from a
// libraries folder, and a sketch the twin cannot build (skipped with the header it lacks, not an error).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeFor } from '../../rig/cli/exit.ts';
import { loadBoards } from '../../rig/boards/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runMatrix } from '../../rig/runner/run.ts';
import { loadRunnableScenarios } from '../../rig/runner/validate.ts';
import { createProgress } from '../../rig/runner/progress.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url));

describe('forum setups as scenarios, on twins', function () {
  this.timeout(900_000);
  it('each cell reaches the outcome its scenario states; the unsupported sketch is a skip naming the header', async () => {
    const paths = projectPaths();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-forum-setups-'));
    try {
      const boards = await loadBoards(paths.boards);
      const forum = (id: string): string => path.join(paths.scenarios, 'forum', `${id}.yaml`);
      const scenarios = await loadRunnableScenarios(
        [
          forum('esp32-spiffs-ca-file-pubsub'),
          forum('esp8266-littlefs-client-cert'),
          forum('esp8266-ntpclient-x509-time'),
          forum('pubsubclient-packet-too-large'),
          forum('esp32-multi-cert-load-bug-8576'),
          path.join(FIXTURES, 'user-library.yaml'),
          path.join(FIXTURES, 'unsupported-header.yaml'),
        ],
        boards,
      );
      const r = await runMatrix({
        scenarios,
        boardProfiles: boards,
        targets: ['twin'],
        jobs: 2,
        retries: 0,
        broker: 'local',
        outDir: path.join(tmp, 'run'),
        quarantine: [],
        sandbox: true,
        progress: createProgress(process.stderr, { quiet: true }),
        paths,
        defaultTimeoutMs: 30_000,
        args: [],
      });
      // The broker's alert and the reset of its close race (the first attempt may read the reset, "Unknown error
      // code.", and the second the alert): either way the alert 40 is the code, read from the line or the fact.
      const alert = (code: string | undefined): string | undefined =>
        code === 'bearssl:296' ? 'bearssl-alert:40' : code;
      const got = Object.fromEntries(
        r.results.cells.map((c) => [
          c.id,
          // The board's kind, and the broker log's refinement beside it (rig/outcome/refine.ts).
          `${c.status} ${c.outcome.kind}${c.outcome.refinedKind ? ` (${c.outcome.refinedKind})` : ''}${c.outcome.code ? ` ${alert(c.outcome.code)}` : ''}`,
        ]),
      );
      assert.deepEqual(got, {
        'esp32-spiffs-ca-file-pubsub/broken/esp32': 'pass tls/untrusted mbedtls:-9984',
        'esp32-spiffs-ca-file-pubsub/no-file/esp32': 'pass tls/no-trust-configured mbedtls:-1',
        'esp32-spiffs-ca-file-pubsub/fixed/esp32': 'pass connected',
        'esp8266-littlefs-client-cert/broken/esp8266':
          'pass tls/handshake-failed (tls/client-cert-required) bearssl-alert:40',
        'esp8266-littlefs-client-cert/der/esp8266': 'pass connected',
        'esp8266-littlefs-client-cert/fixed/esp8266': 'pass connected',
        'esp8266-ntpclient-x509-time/broken/esp8266': 'pass tls/expired bearssl:54',
        'esp8266-ntpclient-x509-time/fixed/esp8266': 'pass connected',
        'pubsubclient-packet-too-large/broken/esp8266': 'pass mqtt/packet-too-large pubsubclient-too-large:publish',
        'pubsubclient-packet-too-large/define-in-sketch/esp8266':
          'pass mqtt/packet-too-large pubsubclient-too-large:publish',
        'pubsubclient-packet-too-large/fixed/esp8266': 'pass connected',
        'pubsubclient-packet-too-large/v2.8-default/esp8266':
          'pass mqtt/packet-too-large pubsubclient-too-large:publish',
        'pubsubclient-packet-too-large/v2.8-set-buffer/esp8266': 'pass connected',
        'pubsubclient-packet-too-large/connect-too-large/esp8266':
          'pass mqtt/packet-too-large pubsubclient-too-large:connect',
        'pubsubclient-packet-too-large/connect-fits-2.8/esp8266': 'pass connected',
        'esp32-multi-cert-load-bug-8576/broken/esp32': 'pass connected',
        'esp32-multi-cert-load-bug-8576/broken/esp32@1.0.4': 'pass tls/bad-certificate-format mbedtls:-8576',
        'esp32-multi-cert-load-bug-8576/fixed/esp32': 'pass connected',
        'fixture-user-library/default/esp32': 'pass connected',
        'fixture-unsupported-header/expected/esp32': 'pass build/unsupported',
        'fixture-unsupported-header/plain/esp32': 'skip build/unsupported',
      });
      const skip = r.results.cells.find((c) => c.id === 'fixture-unsupported-header/plain/esp32')!;
      assert.match(skip.reason ?? '', /unsupported-header\.ino:3: the twin has no HTTPClient\.h/);
      // The sizes come with the outcome: what did not fit, in which library version.
      const tooLarge = r.results.cells.find((c) => c.id === 'pubsubclient-packet-too-large/connect-too-large/esp8266')!;
      assert.match(tooLarge.outcome.detail ?? '', /^PubSubClient 2\.7: connect of \d+ bytes > its 128-byte buffer/);
      assert.equal(exitCodeFor(r.results), 0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
