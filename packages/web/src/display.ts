/**
 * What the panels draw that is not physics: the mode's label, statistics of the values shown,
 * the near-saturation test, and the geometry of the resonance lines on the tune diagram.
 * Pure functions (no DOM), tested in test/unit.
 */

/** TWIN for a digital twin, REPLAY for a replay, LIVE for an online control system. */
export function modeLabel(mode: string, online: boolean): 'TWIN' | 'LIVE' | 'REPLAY' {
  if (/replay/i.test(mode)) return 'REPLAY';
  return online ? 'LIVE' : 'TWIN';
}

/** rms and max |v| of the finite values of the enabled BPMs. */
export function orbitStats(values: ArrayLike<number>, enabled: readonly boolean[]): { rms: number; max: number; n: number } {
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!enabled[i] || !Number.isFinite(v)) continue;
    sum += v * v;
    max = Math.max(max, Math.abs(v));
    n++;
  }
  return { rms: n ? Math.sqrt(sum / n) : NaN, max: n ? max : NaN, n };
}

/** Whether v is within `fraction` of a limit (or past it). */
export function nearSaturation(v: number, limits: readonly [number, number] | null, fraction: number): boolean {
  if (!limits || !Number.isFinite(v)) return false;
  const [lo, hi] = limits;
  return v >= hi - (1 - fraction) * (hi - lo) / 2 || v <= lo + (1 - fraction) * (hi - lo) / 2;
}

/** Segments of the resonance lines of order `order` (|m| + |n|) inside the unit square. */
export function resonanceLines(order: number): [number, number][][] {
  const out: [number, number][][] = [];
  for (let m = -order; m <= order; m++) {
    const n0 = order - Math.abs(m);
    for (const n of n0 === 0 ? [0] : [n0, -n0]) {
      if (m < 0 || (m === 0 && n < 0)) continue; // (m, n) and (-m, -n) are the same lines
      for (let p = -order * 2; p <= order * 2; p++) {
        const pts: [number, number][] = [];
        const add = (x: number, y: number): void => {
          if (x >= -1e-12 && x <= 1 + 1e-12 && y >= -1e-12 && y <= 1 + 1e-12 && !pts.some((q) => Math.abs(q[0] - x) < 1e-9 && Math.abs(q[1] - y) < 1e-9)) pts.push([x, y]);
        };
        if (n !== 0) for (const x of [0, 1]) add(x, (p - m * x) / n);
        if (m !== 0) for (const y of [0, 1]) add((p - n * y) / m, y);
        if (pts.length >= 2) out.push([pts[0], pts[1]]);
      }
    }
  }
  return out;
}
