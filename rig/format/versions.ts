// Release numbers as posters write them (1.0.6, 2.0.17, 3.1.2-rc1): ordering, and the nearest known ones for a
// "did you mean" when a version is not known.

/** The n releases nearest to `version` (below and above it), in order. */
export function nearestOf(releases: readonly string[], version: string, n = 3): string[] {
  const all = [...new Set(releases)].sort(compareVersions);
  let above = all.findIndex((v) => compareVersions(v, version) > 0);
  if (above < 0) above = all.length;
  const out: string[] = [];
  for (let below = above - 1; out.length < n && (below >= 0 || above < all.length);) {
    if (below >= 0) out.push(all[below--]!);
    if (out.length < n && above < all.length) out.push(all[above++]!);
  }
  return out.sort(compareVersions);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10);
    const y = Number.parseInt(pb[i] ?? '0', 10);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      const c = (pa[i] ?? '').localeCompare(pb[i] ?? '');
      if (c) return c;
    } else if (x !== y) return x - y;
  }
  return 0;
}
