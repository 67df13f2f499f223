// An ESP32 and an ESP8266 twin against a local Mosquitto over TLS, written against the rig's public API only
// ('the-rig' and 'the-rig/mocha'). Every test title carries its board: `npm test -- --grep esp8266` runs one board.
import assert from 'node:assert/strict';
import { rig, type Pki } from 'the-rig';
import { describeBoards } from 'the-rig/mocha';

const BOARDS = ['esp32', 'esp8266'] as const;

describeBoards(BOARDS, (id) => {
  let pki: Pki;
  before(async () => {
    // The same certificates as scenarios/hello.yaml: same spec, same files (cached by content), so the board's
    // build (its arduino_secrets.h holds the CA) is the same in every test and built once.
    pki = await rig.pki({
      ca: { subject: { CN: 'Example CA' } },
      server: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'] },
      other: { subject: { CN: 'Some Other CA' }, selfSigned: true },
      rogue: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'], issuer: 'other' },
    });
  });
  const tlsBroker = (cert = 'server') =>
    rig.broker({ listeners: [{ port: 8883, tls: { cert }, allowAnonymous: true }], pki });
  const TOPIC = 'example/hello';

  it(`connects over TLS, publishes, and answers a command (${id})`, async () => {
    await using broker = await tlsBroker();
    const mqtt = await broker.client();
    // Subscribe before the board starts: it publishes its hello once, right after connecting.
    await mqtt.subscribe(`${TOPIC}/#`);
    const board = await rig.board(id, { broker, client: { connect: 'broker.example', topic: TOPIC } });
    await board.expect(/RIG: connected/, { timeoutMs: 60_000 });
    assert.equal((await board.outcome()).kind, 'connected');
    await mqtt.expectMessage(`${TOPIC}/up`, { payload: /^hello from / });
    await mqtt.publish(`${TOPIC}/cmd`, 'ping');
    await board.expect('RIG: echo ping');
    await mqtt.expectMessage(`${TOPIC}/echo`, { payload: 'ping' });

    // A reset starts the board again with an empty serial log: it connects and says hello again.
    await board.reset();
    assert.deepEqual(
      board.lines().filter((l) => l.includes('RIG: connected')),
      [],
    );
    await board.expect(/RIG: connected/, { timeoutMs: 60_000 });
    await mqtt.expectMessage(`${TOPIC}/up`, { payload: /^hello from / });
  });

  it(`says why it does not trust a broker signed by another CA (${id})`, async () => {
    await using broker = await tlsBroker('rogue');
    const board = await rig.board(id, { broker, client: { connect: 'broker.example', topic: TOPIC } });
    const outcome = await board.outcome({ timeoutMs: 60_000 });
    assert.equal(outcome.kind, 'tls/untrusted', JSON.stringify(outcome));
    await broker.expectLog(/OpenSSL Error|protocol error|Client .* disconnected|alert/i);
  });

  it(`answers on its serial console (${id})`, async () => {
    await using broker = await tlsBroker();
    const board = await rig.board(id, { broker, sketch: 'sketches/serial-echo' });
    await board.expect('serial-echo ready');
    await board.write('hello board');
    assert.equal(await board.expect(/^echo: /), 'echo: hello board');
  });

  it(`runs its cell of the scenario file (${id})`, async () => {
    const scenario = await rig.scenario('scenarios/hello.yaml');
    const { cell } = await scenario.run({ variant: 'default', board: id });
    assert.equal(cell.status, 'pass', cell.reason);
    assert.equal(cell.outcome.kind, 'connected');
  });
});
