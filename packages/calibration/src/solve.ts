/**
 * Root of a monotonic function on a bracket: Newton steps kept inside the bracket,
 * bisection when a step leaves it. Returns the abscissa whose value is closest to
 * the target among the last iterates (exact to a few ulps when the function is
 * well conditioned).
 */
export function solveMonotonic(
  f: (x: number) => number,
  df: (x: number) => number,
  target: number,
  lo: number,
  hi: number,
): number {
  let flo = f(lo) - target;
  let fhi = f(hi) - target;
  if (flo === 0) return lo;
  if (fhi === 0) return hi;
  if (Math.sign(flo) === Math.sign(fhi)) {
    throw new RangeError(`solveMonotonic: target ${target} is not bracketed by [${lo}, ${hi}]`);
  }
  let best = Math.abs(flo) < Math.abs(fhi) ? lo : hi;
  let bestResidual = Math.min(Math.abs(flo), Math.abs(fhi));
  // Secant start.
  let x = lo - (flo * (hi - lo)) / (fhi - flo);
  if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
  for (let iter = 0; iter < 200; iter++) {
    const fx = f(x) - target;
    const r = Math.abs(fx);
    if (r < bestResidual) {
      best = x;
      bestResidual = r;
    }
    if (fx === 0) return x;
    if (Math.sign(fx) === Math.sign(flo)) {
      lo = x;
      flo = fx;
    } else {
      hi = x;
      fhi = fx;
    }
    const d = df(x);
    let next = x - fx / d;
    if (!Number.isFinite(next) || !(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === x || next === lo || next === hi) break;
    if (Math.abs(next - x) <= 2 * Number.EPSILON * Math.abs(x)) {
      x = next;
      const fn = Math.abs(f(next) - target);
      if (fn < bestResidual) {
        best = next;
        bestResidual = fn;
      }
      break;
    }
    x = next;
  }
  // Polish: the neighbouring floats may give a smaller residual.
  for (const c of [nextDown(best), nextUp(best)]) {
    const rc = Math.abs(f(c) - target);
    if (rc < bestResidual) {
      best = c;
      bestResidual = rc;
    }
  }
  return best;
}

const buf = new Float64Array(1);
const bits = new BigInt64Array(buf.buffer);

function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  buf[0] = x;
  bits[0] += x > 0 ? 1n : -1n;
  return buf[0];
}

function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  buf[0] = x;
  bits[0] += x > 0 ? -1n : 1n;
  return buf[0];
}

/** Value of the polynomial Σ c[k] x^k (coefficients in ascending powers). */
export function polyValue(c: ArrayLike<number>, x: number): number {
  let v = 0;
  for (let k = c.length - 1; k >= 0; k--) v = v * x + c[k];
  return v;
}

/** Coefficients (ascending) of the derivative. */
export function polyDerivative(c: ArrayLike<number>): number[] {
  const d: number[] = [];
  for (let k = 1; k < c.length; k++) d.push(k * c[k]);
  return d;
}

/**
 * Real roots of a polynomial inside [lo, hi], found by isolating them between the
 * roots of its derivative (recursively), where the polynomial is monotonic.
 */
export function polyRootsIn(c: readonly number[], lo: number, hi: number): number[] {
  let n = c.length - 1;
  while (n > 0 && c[n] === 0) n--;
  const coeffs = c.slice(0, n + 1);
  if (n <= 0) return [];
  if (n === 1) {
    const r = -coeffs[0] / coeffs[1];
    return r >= lo && r <= hi ? [r] : [];
  }
  const crit = polyRootsIn(polyDerivative(coeffs), lo, hi);
  const knots = [lo, ...crit, hi];
  const roots: number[] = [];
  const dc = polyDerivative(coeffs);
  const f = (x: number) => polyValue(coeffs, x);
  const df = (x: number) => polyValue(dc, x);
  for (let i = 0; i + 1 < knots.length; i++) {
    const a = knots[i];
    const b = knots[i + 1];
    const fa = f(a);
    const fb = f(b);
    if (fa === 0) {
      if (roots.length === 0 || roots[roots.length - 1] !== a) roots.push(a);
      continue;
    }
    if (fb === 0) continue;
    if (Math.sign(fa) !== Math.sign(fb)) roots.push(solveMonotonic(f, df, 0, a, b));
  }
  if (f(hi) === 0 && roots[roots.length - 1] !== hi) roots.push(hi);
  return roots;
}
