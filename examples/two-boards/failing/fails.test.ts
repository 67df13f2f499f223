// Fails on purpose (kept out of the normal run; test/api/example.test.ts runs it): mocha's output for this test
// must show the board's serial lines and the broker's log under the error.
import { rig } from 'the-rig';

describe('a failing test shows its evidence', () => {
  it('expects a line the esp8266 never prints (esp8266)', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'Example CA' } },
      server: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'] },
      other: { subject: { CN: 'Some Other CA' }, selfSigned: true },
      rogue: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'], issuer: 'other' },
    });
    await using broker = await rig.broker({ listeners: [{ port: 8883, tls: {}, allowAnonymous: true }], pki });
    const board = await rig.board('esp8266', { broker, client: { connect: 'broker.example', topic: 'example/hello' } });
    await board.expect(/RIG: connected/, { timeoutMs: 60_000 });
    await board.expect(/this line never comes/, { timeoutMs: 1000 });
  });
});
