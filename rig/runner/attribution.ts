// Ties the evidence on a shared broker to one cell. The cells of a scenario variant share one broker and one
// observer, so a message or a log line counts for a cell only when it comes from an MQTT client id that cell
// used, at a time when no other running cell claimed that id. What cannot be attributed counts for nobody.
import { namedClientId, parsePublishLine } from '../broker/log.ts';
import type { ObservedMessage } from './observer.ts';

interface TimedLine {
  at: number;
  line: string;
}

/** An observer message that does not count for a cell, and why. */
export interface Unattributed {
  topic: string;
  payload: string;
  why: string;
}

export interface CellMessages {
  counted: ObservedMessage[];
  unattributed: Unattributed[];
}

/** What a cell's target tells the ledger about the clients it connects with. */
export interface CellClients {
  /** A client id the target connects with (the one the rig gave it). */
  add(id: string): void;
  /** Ids the target reports while it runs (a twin's `mqtt-client-id:` facts), read when needed. */
  watch(source: () => Iterable<string>): void;
  /** The observer's messages that this cell's clients published during this attempt. */
  messages(): CellMessages;
  /** Broker log lines of this attempt that name this cell's clients or no client at all. */
  brokerLog(): string[];
}

// How long after a cell ended its client's last lines may still arrive (pipe and socket lag).
const TRAIL_MS = 1000;

/** One attempt of one cell on the broker: from its start until it is evaluated. */
class Stay implements CellClients {
  readonly from = Date.now();
  to: number | undefined;
  private readonly ids = new Set<string>();
  private readonly sources: (() => Iterable<string>)[] = [];
  // Every later view of the broker asks each stay for its ids; a finished one's facts file no longer changes.
  private final: Set<string> | undefined;

  constructor(
    private readonly ledger: BrokerLedger,
    readonly key: string,
    readonly learns: boolean,
  ) {}

  add(id: string): void {
    if (id) this.ids.add(id);
  }
  watch(source: () => Iterable<string>): void {
    this.sources.push(source);
  }

  /** Ids the cell is known to use, without the broker log. Fixed once the cell left: read its sources once more. */
  reported(): Set<string> {
    if (this.final) return this.final;
    const out = new Set(this.ids);
    for (const s of this.sources) {
      try {
        for (const id of s()) if (id) out.add(id);
      } catch {
        /* a source whose file is gone reports nothing */
      }
    }
    if (this.to !== undefined) this.final = out;
    return out;
  }

  active(t: number): boolean {
    return t >= this.from && (this.to === undefined || t <= this.to + TRAIL_MS);
  }

  messages(): CellMessages {
    return this.ledger.messagesOf(this);
  }

  /** Broker log lines since the stay began that name this cell's clients or no client at all. */
  brokerLog(): string[] {
    return this.ledger.linesOf(this);
  }

  leave(): void {
    this.to ??= Date.now();
  }
}

/** One broker's log (with arrival times), its observer and the cells on it. */
export class BrokerLedger {
  private readonly lines: TimedLine[] = [];
  private readonly stays: Stay[] = [];
  private observer: { clientId: string | undefined; messages: readonly ObservedMessage[] } | undefined;

  /** Records a broker log line as it arrives. */
  record(line: string, at = Date.now()): void {
    this.lines.push({ at, line });
  }

  watchObserver(o: { clientId: string | undefined; messages: readonly ObservedMessage[] }): void {
    this.observer = o;
  }

  /** A cell attempt begins. `learns`: its target may use ids it cannot report (a real board's own sketch). */
  enter(key: string, o: { learns: boolean }): Stay {
    const s = new Stay(this, key, o.learns);
    this.stays.push(s);
    return s;
  }

  /**
   * A cell's broker log: lines since its attempt began that name one of its client ids, or no client at all (a
   * TLS error before CONNECT names none); never a line about another client, though they share the broker.
   */
  linesOf(stay: Stay): string[] {
    const { owner } = this.view();
    return this.lines
      .filter((l) => {
        if (l.at < stay.from) return false;
        const id = namedClientId(l.line);
        return id === undefined || owner(id, l.at) === stay.key;
      })
      .map((l) => l.line);
  }

  /**
   * Pairs each observer message with the PUBLISH that produced it: the n-th message is the n-th "Sending PUBLISH
   * to <observer>" line, and mosquitto forwards a PUBLISH while handling it, so its source is the "Received
   * PUBLISH" line just before (same topic and byte count). Wills and retained messages have none.
   */
  messagesOf(stay: Stay): CellMessages {
    const out: CellMessages = { counted: [], unattributed: [] };
    const obs = this.observer;
    if (!obs) return out;
    const { owner, claimants } = this.view();
    const sources = this.forwarded(obs.clientId);
    obs.messages.forEach((m, i) => {
      if (m.at < stay.from) return;
      const src = sources[i];
      const why = (text: string): void => {
        out.unattributed.push({ topic: m.topic, payload: m.payload, why: text });
      };
      if (src === undefined || src === 'none' || src.topic !== m.topic || src.bytes !== m.bytes) {
        why(
          src === 'none'
            ? 'no PUBLISH from a client (a will or retained message)'
            : 'no matching PUBLISH in the broker log',
        );
        return;
      }
      if (src.at < stay.from) {
        why(`published by ${src.clientId} before this attempt`);
        return;
      }
      const who = owner(src.clientId, src.at);
      if (who === stay.key) out.counted.push(m);
      else
        why(
          who
            ? `published by ${src.clientId} (${who})`
            : claimants(src.clientId, src.at) > 1
              ? `published by ${src.clientId}, a client id more than one running cell uses`
              : `published by ${src.clientId}, not this cell's client`,
        );
    });
    return out;
  }

  /** For each "Sending PUBLISH to <observer>" line in order: the received PUBLISH it forwards, or 'none'. */
  private forwarded(
    observerId: string | undefined,
  ): ({ clientId: string; topic: string; bytes: number; at: number } | 'none')[] {
    const out: ({ clientId: string; topic: string; bytes: number; at: number } | 'none')[] = [];
    if (!observerId) return out;
    let last:
      { clientId: string; topic: string; bytes: number; at: number; used: boolean; denied: boolean } | undefined;
    for (const l of this.lines) {
      const p = parsePublishLine(l.line);
      if (!p) continue;
      if (p.dir === 'received') last = { ...p, at: l.at, used: false, denied: false };
      else if (p.dir === 'denied') {
        if (last && last.clientId === p.clientId && last.topic === p.topic) last.denied = true;
      } else if (p.clientId === observerId) {
        const ok = last && !last.used && !last.denied && last.topic === p.topic && last.bytes === p.bytes;
        if (ok && last) {
          last.used = true;
          out.push({ clientId: last.clientId, topic: last.topic, bytes: last.bytes, at: last.at });
        } else out.push('none');
      }
    }
    return out;
  }

  /** Who a client id belongs to at a time: the one cell whose running attempt claims it; none when several do. */
  private view(): {
    owner: (id: string, t: number) => string | undefined;
    claimants: (id: string, t: number) => number;
  } {
    const ids = this.idsByStay();
    const keys = (id: string, t: number): Set<string> =>
      new Set(this.stays.filter((s) => s.active(t) && ids.get(s)?.has(id)).map((s) => s.key));
    return {
      owner: (id, t) => {
        const k = keys(id, t);
        return k.size === 1 ? [...k][0] : undefined;
      },
      claimants: (id, t) => keys(id, t).size,
    };
  }

  /**
   * Every stay's client ids: the reported ones, plus, for a stay that learns (a real board), the ids of connections
   * made while it was the only such stay running, from a host no other board connected from, with an id that no
   * other cell and not the observer uses. A board keeps running after its cell, so its host stays its own.
   */
  private idsByStay(): Map<Stay, Set<string>> {
    const ids = new Map(this.stays.map((s) => [s, s.reported()] as const));
    const learners = this.stays.filter((s) => s.learns);
    if (learners.length === 0) return ids;
    const hostOf = new Map<string, string>();
    for (const l of this.lines) {
      const m = /New client connected from (\S+) as (\S+) \(/.exec(l.line);
      if (!m) continue;
      const host = m[1].replace(/:\d+$/, '');
      const id = m[2];
      const claimed = learners.filter((s) => ids.get(s)?.has(id));
      if (claimed.length > 0) {
        hostOf.set(host, claimed[claimed.length - 1]!.key);
        continue;
      }
      const running = learners.filter((s) => s.active(l.at));
      // Two boards on the broker at once: a connection could be either's.
      if (new Set(running.map((s) => s.key)).size !== 1) continue;
      const me = running[running.length - 1]!;
      if (id === this.observer?.clientId || [...ids].some(([s, set]) => s.key !== me.key && set.has(id))) continue;
      if ((hostOf.get(host) ?? me.key) !== me.key) continue;
      hostOf.set(host, me.key);
      ids.get(me)?.add(id);
    }
    return ids;
  }
}
