// Adds the lines the rig reads (sketches/README.md "Lines the rig parses") to a pasted PubSubClient sketch,
// marked `// [rig]` as in the seed sketches: "RIG: connected" plus one publish on <topic>/up where connect()
// succeeded, "RIG: connect fail state=.. tls=.." where it failed. The user's own lines stay as they are.

export interface RigLines {
  text: string;
  added: boolean;
  note?: string;
}

/** Index of the bracket that closes the one at `open` ("(" or "{"), skipping string and character literals. */
function closing(text: string, open: number): number {
  const [o, c] = text[open] === '(' ? ['(', ')'] : ['{', '}'];
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      for (i++; i < text.length && text[i] !== ch; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (ch === o) depth++;
    else if (ch === c && --depth === 0) return i;
  }
  return -1;
}

/** The indentation of the line after `at` (the block's first statement). */
function indentAfter(text: string, at: number): string {
  const next = text.indexOf('\n', at);
  return /^[ \t]*/.exec(text.slice(next + 1))?.[0] ?? '  ';
}

/** The statement that prints the failure line, per TLS client class (each core's own error API). */
function failLine(family: string | undefined, mqtt: string, tls: string | undefined): string {
  if (tls && family === 'esp32') {
    return `{ char rigText[100] = ""; int rigTls = ${tls}.lastError(rigText, sizeof(rigText)); Serial.printf("RIG: connect fail state=%d tls=%d text=\\"%s\\"\\n", ${mqtt}.state(), rigTls, rigText); }`;
  }
  if (tls && family === 'esp8266') {
    return `{ char rigText[100] = ""; int rigTls = ${tls}.getLastSSLError(rigText, sizeof(rigText)); Serial.printf("RIG: connect fail state=%d tls=%d text=\\"%s\\"\\n", ${mqtt}.state(), rigTls, rigText); }`;
  }
  const code = tls && family === 'mkr1000' ? `${tls}.errorCode()` : '0';
  return `Serial.print("RIG: connect fail state="); Serial.print(${mqtt}.state()); Serial.print(" tls="); Serial.println(${code});`;
}

/** True when the block's last serial output before `upTo` left the line open (Serial.print without newline). */
function lineOpen(block: string): boolean {
  const calls = [...block.matchAll(/Serial\.(print|println|printf|write)\s*\(([^;]*)\)\s*;/g)];
  const last = calls[calls.length - 1];
  if (!last) return false;
  if (last[1] === 'println') return false;
  if (last[1] === 'printf') return !/\\n"\s*(,|$)/.test(last[2]!);
  return true;
}

/**
 * Puts `statement` into the block opened at `open`: before its retry delay or return (the user's own lines
 * come first, as on the board), else at its end; on a new serial line, since the rig reads "^RIG: ".
 */
function insertInBlock(text: string, open: number, statement: string): string {
  const close = closing(text, open);
  const block = text.slice(open + 1, close);
  const stop =
    /\n([ \t]*)(?:\/\*[^\n]*\*\/\s*\n[ \t]*|\/\/[^\n]*\n[ \t]*)?(?:delay\(|return\b|while\s*\(\s*(?:1|true)\s*\))/.exec(
      block,
    );
  const at = stop ? stop.index : block.replace(/\s*$/, '').length;
  const indent = stop ? stop[1]! : (/\n([ \t]*)\S[^\n]*\s*$/.exec(block)?.[1] ?? indentAfter(text, open));
  const newline = lineOpen(block.slice(0, at)) ? 'Serial.println(); ' : '';
  return `${text.slice(0, open + 1 + at)}\n${indent}${newline}${statement}  // [rig]${text.slice(open + 1 + at)}`;
}

/** The `{ ... }` block of an `if (<call>) {` in the sketch: its brace and end, or why the RIG: lines go in by hand. */
function connectBlock(
  sketch: string,
  call: RegExpExecArray | null,
  written: string,
): { call: RegExpExecArray; brace: number; end: number } | RigLines {
  if (!call)
    return { text: sketch, added: false, note: `no "${written}": add the RIG: lines by hand (sketches/README.md)` };
  const condEnd = closing(sketch, call.index + call[0].indexOf('(')) + 1;
  const open = condEnd > 0 ? /^\s*\{/.exec(sketch.slice(condEnd)) : null;
  if (!open)
    return { text: sketch, added: false, note: 'connect() is not followed by a { block: add the RIG: lines by hand' };
  const brace = condEnd + open[0].length - 1;
  return { call, brace, end: closing(sketch, brace) };
}

/**
 * ArduinoMqttClient (`MqttClient m(net)`): `if (!m.connect(...)) { ... }` gets the failure line (connectError() is
 * its state, as PubSubClient's), and the line after that block the success line and one message on <topic>/up.
 */
function addArduinoMqttLines(sketch: string, mqtt: string, net: string, family: string | undefined): RigLines {
  const found = connectBlock(
    sketch,
    new RegExp(`if\\s*\\(\\s*!\\s*${mqtt}\\.connect\\(`).exec(sketch),
    `if (!${mqtt}.connect(...))`,
  );
  if ('text' in found) return found;
  const { call, brace, end } = found;
  const tls = new RegExp(`\\b(?:BearSSL::)?(WiFiClientSecure|BearSSLClient|NetworkClientSecure)\\s+${net}\\b`).test(
    sketch,
  );
  const fail = failLine(family, `${mqtt}`, tls ? net : undefined).replace(`${mqtt}.state()`, `${mqtt}.connectError()`);
  const ok = `Serial.println("RIG: connected"); ${mqtt}.beginMessage(SECRET_TOPIC "/up"); ${mqtt}.print("hello"); ${mqtt}.endMessage();  // [rig]`;
  const indent = /\n([ \t]*)[^\n]*$/.exec(sketch.slice(0, call.index))?.[1] ?? '  ';
  const withOk = `${sketch.slice(0, end + 1)}\n${indent}${ok}${sketch.slice(end + 1)}`;
  const text = insertInBlock(withOk, brace, fail);
  // The broker attributes messages by client id: one the library makes up ("Arduino-…") is nobody's the rig knows.
  if (new RegExp(`\\b${mqtt}\\.setId\\(`).test(sketch)) return { text, added: true };
  return {
    text: `${text.slice(0, call.index)}${mqtt}.setId(SECRET_CLIENT_ID);  // [rig]\n${indent}${text.slice(call.index)}`,
    added: true,
  };
}

export function addRigLines(sketch: string, family: string | undefined): RigLines {
  if (/\bRIG: connected\b/.test(sketch)) return { text: sketch, added: false };
  const pub = /\bPubSubClient\s+(\w+)\s*\(\s*(\w+)\s*\)/.exec(sketch);
  const amc = /\bMqttClient\s+(\w+)\s*\(\s*(\w+)\s*\)/.exec(sketch);
  if (!pub && amc) return addArduinoMqttLines(sketch, amc[1]!, amc[2]!, family);
  if (!pub)
    return {
      text: sketch,
      added: false,
      note: 'no PubSubClient found: add the RIG: lines by hand (sketches/README.md)',
    };
  const [, mqtt, net] = pub as unknown as [string, string, string];
  // The TLS client: the one PubSubClient wraps, when it is a TLS class.
  const tlsDecl = new RegExp(`\\b(?:BearSSL::)?(WiFiClientSecure|BearSSLClient|NetworkClientSecure)\\s+${net}\\b`).exec(
    sketch,
  );
  const tls = tlsDecl ? net : undefined;
  const found = connectBlock(
    sketch,
    new RegExp(`if\\s*\\(\\s*${mqtt}\\.connect\\(`).exec(sketch),
    `if (${mqtt}.connect(...))`,
  );
  if ('text' in found) return found;
  const { brace, end } = found;
  const elseOpen = end > 0 ? /^\s*else\s*\{/.exec(sketch.slice(end + 1)) : null;
  // The else block first: it comes later in the text, so the success block's positions stay valid.
  let text = sketch;
  if (elseOpen) text = insertInBlock(text, end + elseOpen[0].length, failLine(family, mqtt, tls));
  text = insertInBlock(text, brace, `Serial.println("RIG: connected"); ${mqtt}.publish(SECRET_TOPIC "/up", "hello");`);
  return elseOpen
    ? { text, added: true }
    : {
        text,
        added: true,
        note: 'connect() has no else branch: "RIG: connect fail" not added (the core\'s own lines still tell the rig)',
      };
}
