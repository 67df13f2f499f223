// Holds a broker and a twin until interrupted (kept out of the normal run; test/api/example.test.ts sends Ctrl-C
// and checks that no process is left behind).
import { rig } from 'the-rig';

describe('a run interrupted with Ctrl-C', () => {
  it('holds a broker and a board until interrupted (esp32)', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'Example CA' } },
      server: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'] },
      other: { subject: { CN: 'Some Other CA' }, selfSigned: true },
      rogue: { subject: { CN: 'broker.example' }, san: ['DNS:broker.example'], issuer: 'other' },
    });
    const broker = await rig.broker({ listeners: [{ port: 8883, tls: {}, allowAnonymous: true }], pki });
    const board = await rig.board('esp32', { broker, client: { connect: 'broker.example', topic: 'example/hello' } });
    await board.expect(/RIG: connected/, { timeoutMs: 60_000 });
    console.log('HOLDING broker and board');
    await new Promise(() => undefined);
  });
});
