// XML 1.0 text and attribute escaping. Serial garbage carries C0 controls, lone surrogates and
// U+FFFE/FFFF, none of which XML 1.0 allows even as character references; they are shown as
// `\xNN` / U+FFFD instead so the file still parses and the byte is still visible.

const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripInvalidXml(s: string): string {
  return s.replace(INVALID_XML, (ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return cp < 0x20 || cp === 0x7f ? `\\x${cp.toString(16).padStart(2, '0')}` : '\uFFFD';
  });
}
