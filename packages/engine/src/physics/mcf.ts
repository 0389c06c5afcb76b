/**
 * Momentum compaction (pyAT get_mcf): closed orbits at several dp around the
 * working point, one turn of each, and a polynomial fit of the path lengthening
 * c*tau against delta, divided by the lattice (cell) length.
 */
import { MlayerError } from '@mlayer/core';
import { DP_STEP } from './constants.js';
import { solveOrbits4, type OrbitOptions } from './orbit.js';
import { latticeLength, setParticle, trackSegment } from './propagate.js';
import type { CompiledLattice } from './tracking-api.js';
import { ClosedOrbitError } from './errors.js';

export interface McfOptions extends OrbitOptions {
  readonly dp?: number;
  readonly dpStep?: number;
  /** Polynomial order of the fit (default 1). */
  readonly fitOrder?: number;
  /** Number of dp samples, evenly spaced over [dp - DPStep/2, dp + DPStep/2] (default 2). */
  readonly nStep?: number;
}

/**
 * Momentum-compaction coefficients [alpha_1, ..., alpha_order] of one cell
 * (periodicity-independent): c*tau(delta) / L fitted by a polynomial in delta.
 */
export function getMcfCoefficients(compiled: CompiledLattice, options: McfOptions = {}): number[] {
  const dp = options.dp ?? 0;
  const dpStep = options.dpStep ?? DP_STEP;
  const order = options.fitOrder ?? 1;
  const nStep = options.nStep ?? 2;
  if (!Number.isInteger(order) || order < 1) throw new MlayerError(`momentum compaction: fitOrder ${order} must be an integer >= 1`);
  if (!Number.isInteger(nStep) || nStep < 2 * order) {
    throw new MlayerError(`momentum compaction: nStep ${nStep} must be an integer >= 2*fitOrder (${2 * order})`);
  }
  const offsets = Array.from({ length: nStep }, (_, i) => -dpStep / 2 + (dpStep * i) / (nStep - 1));
  const sols = solveOrbits4(
    compiled,
    offsets.map((o) => dp + o),
    { ...options, checkStability: false },
  );
  const coords = new Float64Array(6 * nStep);
  sols.forEach((s, i) => setParticle(coords, nStep, i, s.orbit));
  if (!trackSegment(compiled, coords, nStep, 0, compiled.elements.length)) {
    throw new ClosedOrbitError(dp, 'particle lost while tracking the off-momentum closed orbits for the momentum compaction');
  }
  const delta = Array.from({ length: nStep }, (_, i) => coords[4 * nStep + i]);
  const ct = Array.from({ length: nStep }, (_, i) => coords[5 * nStep + i]);
  const coef = polyfit(delta, ct, order);
  const L = latticeLength(compiled);
  return coef.slice(1).map((c) => c / L);
}

/** First-order momentum compaction factor of one cell (pyAT get_mcf with its defaults). */
export function getMcf(compiled: CompiledLattice, options: Omit<McfOptions, 'fitOrder'> = {}): number {
  return getMcfCoefficients(compiled, { ...options, fitOrder: 1 })[0];
}

/**
 * Least-squares polynomial coefficients c[0..order] (power basis in x) of y(x);
 * the fit is done on x mapped to [-1, 1] and converted back.
 */
export function polyfit(x: readonly number[], y: readonly number[], order: number): number[] {
  const n = x.length;
  let lo = Infinity, hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const mid = (hi + lo) / 2;
  const half = (hi - lo) / 2 || 1;
  const m = order + 1;
  // Normal equations on u = (x - mid) / half (well conditioned for small orders).
  const ata = Array.from({ length: m }, () => new Float64Array(m));
  const aty = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const u = (x[i] - mid) / half;
    const pw = new Float64Array(m);
    pw[0] = 1;
    for (let k = 1; k < m; k++) pw[k] = pw[k - 1] * u;
    for (let r = 0; r < m; r++) {
      aty[r] += pw[r] * y[i];
      for (let c = 0; c < m; c++) ata[r][c] += pw[r] * pw[c];
    }
  }
  const cu = solveDense(ata, aty);
  // Convert sum cu_k ((x - mid)/half)^k to the power basis in x.
  const out = new Array<number>(m).fill(0);
  for (let k = 0; k < m; k++) {
    const ck = cu[k] / half ** k;
    // (x - mid)^k = sum_j C(k, j) x^j (-mid)^(k-j)
    let binom = 1;
    for (let j = 0; j <= k; j++) {
      out[j] += ck * binom * (-mid) ** (k - j);
      binom = (binom * (k - j)) / (j + 1);
    }
  }
  return out;
}

function solveDense(a: Float64Array[], b: Float64Array): Float64Array {
  const m = b.length;
  const A = a.map((r) => Float64Array.from(r));
  const x = Float64Array.from(b);
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(A[i][k]) > Math.abs(A[p][k])) p = i;
    if (A[p][k] === 0) throw new MlayerError('momentum compaction: singular fit (duplicate dp samples)');
    [A[k], A[p]] = [A[p], A[k]];
    [x[k], x[p]] = [x[p], x[k]];
    for (let i = k + 1; i < m; i++) {
      const f = A[i][k] / A[k][k];
      for (let j = k; j < m; j++) A[i][j] -= f * A[k][j];
      x[i] -= f * x[k];
    }
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < m; j++) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}
