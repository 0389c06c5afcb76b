/**
 * Small dense linear algebra on 4x4 matrices and 4-vectors, stored row-major in
 * Float64Array (m[4*i + j] is row i, column j). Used by the closed orbit, the
 * optics and the response matrices; no allocation-heavy generic library.
 */

export type Mat4 = Float64Array;
export type Vec4 = Float64Array;

export function mat4(): Mat4 {
  return new Float64Array(16);
}

export function identity4(): Mat4 {
  const m = new Float64Array(16);
  m[0] = m[5] = m[10] = m[15] = 1;
  return m;
}

/** out = a * b (out may not alias a or b). */
export function mul4(a: Mat4, b: Mat4, out: Mat4 = new Float64Array(16)): Mat4 {
  for (let i = 0; i < 4; i++) {
    const a0 = a[4 * i], a1 = a[4 * i + 1], a2 = a[4 * i + 2], a3 = a[4 * i + 3];
    for (let j = 0; j < 4; j++) {
      out[4 * i + j] = a0 * b[j] + a1 * b[4 + j] + a2 * b[8 + j] + a3 * b[12 + j];
    }
  }
  return out;
}

/** out = m * v. */
export function mulVec4(m: Mat4, v: ArrayLike<number>, out: Vec4 = new Float64Array(4)): Vec4 {
  const v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
  for (let i = 0; i < 4; i++) out[i] = m[4 * i] * v0 + m[4 * i + 1] * v1 + m[4 * i + 2] * v2 + m[4 * i + 3] * v3;
  return out;
}

export function sub4(a: Mat4, b: Mat4, out: Mat4 = new Float64Array(16)): Mat4 {
  for (let k = 0; k < 16; k++) out[k] = a[k] - b[k];
  return out;
}

export function trace4(m: Mat4): number {
  return m[0] + m[5] + m[10] + m[15];
}

/**
 * LU factorisation with partial pivoting (as LAPACK's getrf) of a 4x4 matrix.
 * Returns null when the matrix is singular to working precision.
 */
export interface Lu4 {
  readonly lu: Float64Array;
  readonly perm: Int8Array;
}

export function lu4(m: Mat4): Lu4 | null {
  const a = Float64Array.from(m);
  const perm = new Int8Array([0, 1, 2, 3]);
  let scale = 0;
  for (let k = 0; k < 16; k++) scale = Math.max(scale, Math.abs(a[k]));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let k = 0; k < 4; k++) {
    let p = k;
    let big = Math.abs(a[4 * k + k]);
    for (let i = k + 1; i < 4; i++) {
      const v = Math.abs(a[4 * i + k]);
      if (v > big) {
        big = v;
        p = i;
      }
    }
    if (big <= scale * 1e-15) return null;
    if (p !== k) {
      for (let j = 0; j < 4; j++) {
        const t = a[4 * k + j];
        a[4 * k + j] = a[4 * p + j];
        a[4 * p + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
    }
    const piv = a[4 * k + k];
    for (let i = k + 1; i < 4; i++) {
      const f = (a[4 * i + k] /= piv);
      if (f !== 0) for (let j = k + 1; j < 4; j++) a[4 * i + j] -= f * a[4 * k + j];
    }
  }
  return { lu: a, perm };
}

/** Solves (LU) x = b. */
export function luSolve4(f: Lu4, b: ArrayLike<number>, out: Vec4 = new Float64Array(4)): Vec4 {
  const { lu, perm } = f;
  const y = [b[perm[0]], b[perm[1]], b[perm[2]], b[perm[3]]];
  for (let i = 1; i < 4; i++) for (let j = 0; j < i; j++) y[i] -= lu[4 * i + j] * y[j];
  for (let i = 3; i >= 0; i--) {
    let s = y[i];
    for (let j = i + 1; j < 4; j++) s -= lu[4 * i + j] * out[j];
    out[i] = s / lu[4 * i + i];
  }
  return out;
}

/** Inverse of a 4x4 matrix, or null when singular. */
export function inv4(m: Mat4): Mat4 | null {
  const f = lu4(m);
  if (!f) return null;
  const out = new Float64Array(16);
  const e = new Float64Array(4);
  const col = new Float64Array(4);
  for (let j = 0; j < 4; j++) {
    e.fill(0);
    e[j] = 1;
    luSolve4(f, e, col);
    for (let i = 0; i < 4; i++) out[4 * i + j] = col[i];
  }
  return out;
}

/** Copies the 4x4 block at element offset `offset` of a packed array of matrices. */
export function matAt(packed: Float64Array, index: number): Mat4 {
  return packed.subarray(16 * index, 16 * index + 16);
}
