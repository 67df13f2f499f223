// The skeleton's expectations: for the board, what the poster saw that the rig's board can print (serial lines
// with timestamps generalised, the broker's lines, the raw code the twin gives for the same failure, the kind of
// the cause reproduced); for the PC controls, what the poster says of their PC client, where the skeleton's
// world gives it; `posted` keeps the poster's lines verbatim for the report of the first run.
import type { OutcomeKind } from '../scenario/schema.ts';
import type { Evidence, PcClaim } from './evidence.ts';
import type { SeenLine } from './lines.ts';
import { sawExpectations } from './saw.ts';
import type { Stack } from './world.ts';
import type { Cause } from './world-pki.ts';

type Exp = Record<string, unknown>;

/** The raw code the rig's board gives for the poster's failure, in the stack's own terms. */
export function boardCode(stack: Stack, codes: string[], cause: Cause): string | undefined {
  const mbed = codes.find((c) => c.startsWith('mbedtls:'));
  const espTls = codes.find((c) => c.startsWith('esp-tls:'));
  const bear = codes.find((c) => c.startsWith('bearssl:'));
  const toHex = (c: string) => `esp-tls:-0x${(-Number(c.split(':')[1])).toString(16)}`;
  const toDec = (c: string) => `mbedtls:${-parseInt(c.split('-0x')[1]!, 16)}`;
  // The broker's alert races its close on an ESP32 (-30592 or -80): no one code.
  if (cause === 'client-cert' && (stack === 'mbedtls' || stack === 'esp-tls')) return undefined;
  switch (stack) {
    case 'mbedtls':
      return mbed ?? (espTls ? toDec(espTls) : undefined);
    case 'esp-tls':
      return espTls ?? (mbed ? toHex(mbed) : undefined);
    default:
      return bear ?? codes.find((c) => c.startsWith('pubsubclient:'));
  }
}

function serialRegexes(lines: SeenLine[], userSketch: boolean): string[] {
  return lines.flatMap((l) => {
    if (l.regex) return [l.regex];
    // The poster's own prints are expected only when the poster's sketch runs (addresses generalised).
    if (userSketch && l.format === 'sketch')
      return [l.raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d{1,3}(?:\\\.\d{1,3}){3}/g, '\\S+')];
    return [];
  });
}

export interface BoardExpectInput {
  board: string;
  stack: Stack;
  cause: Cause;
  kind?: OutcomeKind;
  userSketch: boolean;
  hardwareOnly?: string;
}

/** The board's broken expectations (with esp32@<core> keys when the poster's lines are a core's the twin imitates). */
export function boardExpectations(i: BoardExpectInput, e: Evidence, notes: string[]): Record<string, Exp> {
  const code = boardCode(i.stack, e.codes, i.cause);
  const esp32Lines = e.serial.filter((l) => l.esp32 && l.esp32.level === 'E');
  const others = e.serial.filter((l) => !l.esp32);
  // A BearSSL board sends no alert and closes its socket when its sketch stops or connects again: the broker logs
  // the disconnect at no fixed time after the board's error, and a run judges the cell without waiting for it.
  const bear = i.stack !== 'mbedtls' && i.stack !== 'esp-tls';
  const late = (l: SeenLine) => bear && /disconnect/i.test(l.regex ?? '');
  for (const l of e.broker.filter(late))
    notes.push(`not expected: "${l.raw}": a BearSSL board closes its socket after its error, at no fixed time`);
  const brokerLog = e.broker.filter((l) => !late(l)).flatMap((l) => (l.regex ? [l.regex] : []));
  const posted = [...e.serial, ...e.broker].map((l) => l.raw);
  const base: Exp = {
    ...(i.kind ? { kind: i.kind } : {}),
    ...(code ? { code } : {}),
    ...(brokerLog.length ? { brokerLog } : {}),
    ...(posted.length ? { posted } : {}),
    ...(i.hardwareOnly ? { hardwareOnly: i.hardwareOnly } : {}),
  };
  for (const l of [...e.serial, ...e.broker].filter((x) => x.unprintable && !x.regex))
    notes.push(`not expected: "${l.raw}": ${l.unprintable}`);
  const otherSerial = serialRegexes(others, i.userSketch);
  if (esp32Lines.length && i.board === 'esp32' && i.stack === 'mbedtls') {
    const saw = sawExpectations(
      esp32Lines.map((l) => l.raw),
      'esp32',
    );
    notes.push(...saw.notes);
    const out: Record<string, Exp> = {};
    for (const [key, x] of Object.entries(saw.byBoard)) {
      const serial = Array.isArray(x.serial) ? [...x.serial, ...otherSerial] : x.serial;
      out[key] = { ...base, ...(Array.isArray(serial) && serial.length === 0 ? {} : { serial }) };
    }
    return out;
  }
  const serial = [...serialRegexes(esp32Lines, false), ...otherSerial];
  return { [i.board]: { ...base, ...(serial.length ? { serial } : {}) } };
}

/** What OpenSSL on a PC gets in the skeleton's broken world (the controls share the board's files and host). */
export function pcPredict(w: { cause: Cause; ip: boolean; ipSan: boolean; wrongCa: boolean }): OutcomeKind | undefined {
  if (w.wrongCa || w.cause === 'trust') return 'tls/untrusted';
  if (w.cause === 'name') return w.ip && w.ipSan ? 'connected' : 'tls/name-mismatch';
  if (w.cause === 'expired') return 'tls/expired';
  if (w.cause === 'auth') return 'mqtt/not-authorized';
  if (w.cause === 'none') return 'connected';
  return undefined;
}

/** The controls' expectations from the poster's claims, where the skeleton's world gives the same. */
export function pcExpectations(
  claims: PcClaim[],
  predicted: OutcomeKind | undefined,
  notes: string[],
): Record<string, Exp> {
  const out: Record<string, Exp> = {};
  for (const c of claims) {
    const fits = c.works
      ? predicted === 'connected'
      : predicted !== undefined && predicted !== 'connected' && (!c.kind || c.kind === predicted);
    if (!fits) {
      notes.push(
        predicted === undefined
          ? `the poster's PC client ${c.works ? 'connects' : 'fails'} ("${c.said}"): the skeleton does not tell what ${c.client} gets here, so no expectation`
          : `the poster's PC client ${c.works ? 'connects' : 'fails'} ("${c.said}"), which the closest skeleton does not give (${predicted}): no expectation for ${c.client}`,
      );
      continue;
    }
    out[c.client] = { kind: predicted, posted: [c.said] };
    notes.push(`${c.client} stands for the poster's PC client ("${c.said}")`);
  }
  return out;
}
