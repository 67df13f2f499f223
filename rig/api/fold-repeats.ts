// A board idle on virtual time runs through its keepalives as fast as the broker answers: a second of waiting can
// be thirty PINGREQ/PINGRESP pairs in the broker log, which would fill a failing test's log tail and push out the
// lines that say what happened. Runs of one or two lines repeated (timestamps aside) are folded into one mention.

/** mosquitto's "1796403828: " and a twin's "[  1581]" style prefixes do not make a line different. */
function key(line: string): string {
  return line.replace(/^\d+: /, '').replace(/^\[\s*\d+\]/, '');
}

function sameBlock(lines: string[], a: number, b: number, period: number): boolean {
  for (let k = 0; k < period; k++) if (b + k >= lines.length || key(lines[a + k]!) !== key(lines[b + k]!)) return false;
  return true;
}

/** The lines with each run of 3 or more repeats of a 1- or 2-line block kept once and counted. */
export function foldRepeats(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let folded = false;
    for (const period of [1, 2]) {
      let reps = 1;
      while (sameBlock(lines, i, i + reps * period, period)) reps++;
      if (reps < 3) continue;
      out.push(...lines.slice(i, i + period));
      out.push(`… ${period === 1 ? 'the line above' : `the ${period} lines above`} ${reps - 1} more times`);
      i += reps * period;
      folded = true;
      break;
    }
    if (!folded) out.push(lines[i++]!);
  }
  return out;
}
