// The arduino_secrets.h a cell's sketch gets, the same for twins and real boards; only WiFi, the broker
// port (logical on twins, real on boards) and the key's home (ECC508 slot on MKR1000) differ.
import { readFile } from 'node:fs/promises';
import { secretsHeader } from '../target/secrets.ts';
import type { CellEnv } from './attempt.ts';

export interface CellSecrets { header: string; eccSlotKey?: string; clientId: string }

export async function cellSecrets(env: CellEnv, o: { ssid: string; wifiPassword: string; port: number }): Promise<CellSecrets> {
  const { plan, rv, pki } = env;
  const c = rv.client;
  const caPem = c.ca ? await readFile(pki.certs[c.ca]!.crt, 'utf8') : undefined;
  const clientCert = c.cert ? pki.certs[c.cert] : undefined;
  const keyFile = clientCert ? clientCert.keyPlain ?? clientCert.key : undefined;
  // MKR1000 keeps its key in the ECC508: the sketch names a slot, the key itself never enters the sketch.
  const eccSlotKey = plan.board.family === 'mkr1000' ? keyFile : undefined;
  const clientId = c.clientId ?? `rig-${plan.board.id}-${rv.variant}`.slice(0, 23);
  const header = secretsHeader({
    origin: `${rv.scenario.id}/${rv.variant}/${plan.board.id}`,
    ssid: o.ssid, wifiPassword: o.wifiPassword, broker: c.connect, brokerIsIp: c.byIp, port: o.port, clientId,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    topic: c.topic, insecure: c.insecure,
    ...(caPem ? { caCertPem: caPem } : {}),
    ...(clientCert ? { clientCertPem: await readFile(clientCert.crt, 'utf8') } : {}),
    ...(keyFile && !eccSlotKey ? { clientKeyPem: await readFile(keyFile, 'utf8') } : {}),
    ...(eccSlotKey ? { eccSlot: 0 } : {}),
    extra: c.config,
  });
  return { header, clientId, ...(eccSlotKey ? { eccSlotKey } : {}) };
}
