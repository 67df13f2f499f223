// Turns serial lines (and a twin's side-channel facts) into raw facts and one canonical outcome.
// What a line means is data in the board profile (rules + codes); this file only applies it.
import type { OutcomeMap, OutcomeRule } from '../boards/profile.ts';
import type { OutcomeKind } from '../scenario/schema.ts';
import type { Outcome } from '../results/schema.ts';
import { compilePattern, type Pattern } from '../format/index.ts';

interface CompiledRule {
  re: Pattern;
  unless?: Pattern;
  rule: OutcomeRule;
}

interface Fact {
  code?: string;
  kind?: OutcomeKind;
  detail?: string;
  line?: number;
}

// How much a kind says. A flag-level fact ("CN mismatch") beats the bare error code (-9984), which beats
// a transport symptom (PubSubClient -2); explicit line kinds (connected, DNS failure, crash) beat codes. Among
// generic kinds the TLS stack's own code (an alert, a reset) beats the MQTT library's symptom.
const GENERIC: ReadonlySet<string> = new Set(['tls/handshake-failed', 'mqtt/connection-lost', 'unknown']);

// What went wrong after the connection was up outranks the "connected" line: a crash, or a packet the MQTT library
// refused to send because it does not fit its buffer (the sketch said "connected", its messages never left).
const AFTER_CONNECT: ReadonlySet<string> = new Set(['crash', 'mqtt/packet-too-large']);

function rank(f: Fact, fromRule: boolean): number {
  if (!f.kind) return 0;
  if (AFTER_CONNECT.has(f.kind)) return 6;
  if (fromRule) return 5;
  if (f.code && /-flag:/.test(f.code)) return 4;
  if (GENERIC.has(f.kind)) return f.code?.startsWith('pubsubclient:') ? 1 : 2;
  return 3;
}

function applies(r: CompiledRule, line: string): boolean {
  return r.re.test(line) && !r.unless?.test(line);
}

export class OutcomeClassifier {
  private readonly rules: CompiledRule[];
  private readonly facts: Fact[] = [];
  private best: { fact: Fact; rank: number } | undefined;
  private finalLine: number | undefined;
  private closed = false;
  private lastDetail: string | undefined;

  constructor(private readonly map: OutcomeMap) {
    this.rules = map.rules.map((rule) => ({
      re: compilePattern(rule.match),
      ...(rule.unless ? { unless: compilePattern(rule.unless) } : {}),
      rule,
    }));
  }

  /**
   * Feeds one line; returns true once the attempt is decided (a final rule matched). Never throws.
   * Lines after the deciding one still add facts (sketches print "failed, rc=-2" before the TLS error
   * text), up to the next line a final rule matches: that one belongs to the next attempt, unless its rule
   * `closes` the attempt (the probe's summary line), which still counts.
   */
  feed(line: string, index: number): boolean {
    if (this.closed) return true;
    const decided = this.finalLine !== undefined;
    let closing = false;
    if (decided) {
      // A later deciding line starts the next attempt's story, unless it is the summary that closes this one.
      const ends = this.rules.filter((r) => (r.rule.final || r.rule.closes) && applies(r, line));
      if (ends.length > 0 && !ends.some(({ rule }) => rule.closes)) {
        this.closed = true;
        return true;
      }
      closing = ends.length > 0;
    }
    let final = false;
    for (const { re, unless, rule } of this.rules) {
      const m = re.exec(line);
      if (!m || unless?.test(line)) continue;
      const sub = (t: string | undefined): string | undefined =>
        t?.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '').trim() || undefined;
      const detail = sub(rule.detail);
      if (detail) this.lastDetail = detail;
      if (rule.kind) this.add({ kind: rule.kind, detail, line: index }, true);
      for (const code of (sub(rule.code) ?? '').split(/\s+/).filter((c) => /^[\w-]+:-?\w+$/.test(c))) {
        this.addCode(code, index);
      }
      if (rule.final) final = true;
    }
    if (final && !decided) this.finalLine = index;
    if (closing) this.closed = true;
    return this.finalLine !== undefined;
  }

  /**
   * Adds a fact from outside the serial stream (a twin's side channel, a control client). A fact may carry its
   * explanation after a tab ("pubsubclient-too-large:publish<TAB>PubSubClient 2.7: publish of 300 bytes > …").
   */
  addFact(fact: string): void {
    const tab = fact.indexOf('\t');
    if (tab < 0) return this.addCode(fact, undefined);
    this.addCode(fact.slice(0, tab), undefined, fact.slice(tab + 1).trim() || undefined);
  }

  get done(): boolean {
    return this.finalLine !== undefined;
  }

  private addCode(code: string, line: number | undefined, detail?: string): void {
    // The same fact from the serial line and from a twin's side channel is one fact.
    if (this.facts.some((f) => f.code === code)) return;
    // "x-flags:0xN" is a bit set: each bit is looked up as "x-flag:0xBIT".
    const flags = /^([\w-]+)-flags:0x([0-9a-fA-F]+)$/.exec(code);
    if (flags) {
      this.facts.push({ code, line });
      const value = parseInt(flags[2], 16);
      for (let bit = 1; bit <= value && bit > 0; bit <<= 1) {
        if (value & bit) this.addCode(`${flags[1]}-flag:0x${bit.toString(16)}`, line);
      }
      return;
    }
    this.add({ code, kind: this.map.codes[code], line, ...(detail ? { detail } : {}) }, false);
  }

  private add(f: Fact, fromRule: boolean): void {
    if (f.code && /-flag:/.test(f.code)) {
      // Individual bits are derived, not seen: keep them out of the fact list, use them for the kind.
    } else {
      this.facts.push(f);
    }
    const r = rank(f, fromRule);
    if (r > 0 && (!this.best || r > this.best.rank)) this.best = { fact: f, rank: r };
  }

  result(): Outcome {
    const codes = this.facts.map((f) => f.code).filter((c): c is string => !!c);
    const decisive = this.best?.fact;
    let code = decisive?.code;
    if (!code || /-flag:/.test(code)) {
      // Prefer the stack's own error code over the MQTT library's symptom for the headline.
      code =
        codes.find((c) => !/^pubsubclient:|-flags:/.test(c) && this.map.codes[c]) ??
        codes.find((c) => !/-flags:/.test(c)) ??
        code;
    }
    const flags = codes.find((c) => /-flags:/.test(c));
    const detail =
      [decisive?.detail ?? this.lastDetail, flags ? `flags ${flags.split(':')[1]}` : undefined]
        .filter(Boolean)
        .join('; ') || undefined;
    return {
      kind: decisive?.kind ?? (codes.length > 0 ? 'unknown' : 'none'),
      ...(code && decisive?.kind !== 'connected' ? { code } : {}),
      ...(detail ? { detail } : {}),
      facts: codes,
    };
  }
}
