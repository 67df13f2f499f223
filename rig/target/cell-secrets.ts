// The arduino_secrets.h a cell's sketch gets, the same for twins and real boards; only WiFi, the broker
// port (logical on twins, real on boards) and the key's home (ECC508 slot on MKR1000) differ. Every secret
// the header carries is registered with the run's redactor, since a board may print any of them.
import { readFile } from 'node:fs/promises';
import { fillTemplate } from '../format/template.ts';
import { tasmotaFingerprint } from '../pki/tasmota-fingerprint.ts';
import type { TargetCell } from './driver.ts';
import { secretsHeader } from './secrets.ts';

export interface CellSecrets {
  header: string;
  eccSlotKey?: string;
  clientId: string;
}

export interface CellSecretsOptions {
  ssid: string;
  wifiPassword: string;
  port: number;
  /** A real MKR1000's client certificate, issued for its own ECC508 key (rig/hardware/ecc508.ts). */
  clientCertPem?: string;
}

export async function cellSecrets(cell: TargetCell, o: CellSecretsOptions): Promise<CellSecrets> {
  const { board, core, rv, pki } = cell;
  const c = rv.client;
  const caPem = c.ca ? await readFile(pki.certs[c.ca]!.crt, 'utf8') : undefined;
  const clientCert = c.cert ? pki.certs[c.cert] : undefined;
  const keyFile = clientCert ? (clientCert.keyPlain ?? clientCert.key) : undefined;
  // MKR1000 keeps its key in the ECC508: the sketch names a slot, the key itself never enters the sketch.
  const eccSlotKey = board.family === 'mkr1000' ? keyFile : undefined;
  // Cells of one variant share a broker: a pinned core gets its own id, so its messages are told apart.
  const clientId = c.clientId ?? `rig-${board.id}${core ? `-${core}` : ''}-${rv.variant}`.slice(0, 23);
  const clientKeyPem = keyFile && !eccSlotKey ? await readFile(keyFile, 'utf8') : undefined;
  for (const s of [o.wifiPassword, c.password, ...configSecrets(c.config), ...keyLines(clientKeyPem)])
    if (s) cell.secret(s);
  const header = secretsHeader({
    origin: `${rv.scenario.id}/${rv.variant}/${board.id}`,
    ssid: o.ssid,
    wifiPassword: o.wifiPassword,
    broker: c.connect,
    brokerIsIp: c.byIp,
    port: o.port,
    clientId,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    topic: c.topic,
    insecure: c.insecure,
    ...(caPem ? { caCertPem: caPem } : {}),
    ...(clientCert ? { clientCertPem: o.clientCertPem ?? (await readFile(clientCert.crt, 'utf8')) } : {}),
    ...(clientKeyPem ? { clientKeyPem } : {}),
    ...(eccSlotKey ? { eccSlot: 0 } : {}),
    extra: await configValues(c.config, pki.certs),
  });
  return { header, clientId, ...(eccSlotKey ? { eccSlotKey } : {}) };
}

/**
 * `client.config` with `{{pki.NAME.tasmota-fingerprint}}` filled (Tasmota's MqttFingerprint of that certificate's key,
 * which changes with every generated key, so a scenario cannot write it down).
 */
async function configValues(
  config: Record<string, string | number | boolean>,
  certs: Record<string, { crt: string }>,
): Promise<Record<string, string | number | boolean>> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(config)) {
    if (typeof v !== 'string') {
      out[k] = v;
      continue;
    }
    const wanted = new Map<string, string>();
    for (const m of v.matchAll(/\{\{\s*pki\.([\w.-]+)\.tasmota-fingerprint\s*\}\}/g)) {
      const cert = certs[m[1]!];
      if (!cert) throw new Error(`client.config ${k}: no PKI certificate "${m[1]}"`);
      wanted.set(`pki.${m[1]}.tasmota-fingerprint`, tasmotaFingerprint(await readFile(cert.crt, 'utf8')));
    }
    out[k] = wanted.size ? fillTemplate(v, (name) => wanted.get(name)) : v;
  }
  return out;
}

/** Config values the sketch gets whose name says they are secret (as the runner collects them for the broker side). */
function configSecrets(config: Record<string, string | number | boolean>): string[] {
  return Object.entries(config)
    .filter(([k, v]) => /PASS|KEY|SECRET|TOKEN/i.test(k) && typeof v === 'string')
    .map(([, v]) => String(v));
}

/** A private key's base64 lines: a sketch that prints its key without the BEGIN line must not leak it either. */
function keyLines(pem: string | undefined): string[] {
  return (pem ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && /^[A-Za-z0-9+/=]+$/.test(l));
}
