/**
 * The LOCO normal equations A = Jᵀ W² J and g = Jᵀ W² e, built from the
 * structure of the Jacobian instead of a dense product.
 *
 * Data: the entries d(r, j) of the fitted matrix, r = 0..R-1 the BPM rows (x
 * readings then y readings, R = 2·nb), j = 0..C-1 the columns (correctors, then
 * the dispersion column), N = R·C entries, each with a weight w(r, j) = 1/σ
 * (0 for an entry left out: block not fitted, missing, outlier). The residual
 * is e = w·(measured − model). Three kinds of parameter:
 *
 *   dense   (gradient groups, Pd of them): ∂d(r, j)/∂p ≠ 0 anywhere;
 *   row     (BPM gain and coupling, Pr):   ∂d(r, j)/∂p = a_p(j) for r = r_p, 0 elsewhere;
 *   column  (corrector kick, coupling, energy shift, RF step, Pc): ∂d(r, j)/∂q = b_q(r) for j = j_q, 0 elsewhere.
 *
 * With the weighted derivatives D_k = w·∂d/∂p_k, ã_p(j) = w(r_p, j)·a_p(j), b̃_q(r) = w(r, j_q)·b_q(r):
 *
 *   A[k][l] = Σ_{r,j} D_k D_l                      dense × dense:   O(n) each, O(n·Pd²) in all (n ≤ N the fitted entries)
 *   A[k][p] = Σ_j D_k(r_p, j) ã_p(j)                dense × row:     O(C) each, O(N·Pd·Pr/R)
 *   A[k][q] = Σ_r D_k(r, j_q) b̃_q(r)                dense × column:  O(R) each, O(N·Pd·Pc/C)
 *   A[p][p'] = Σ_j ã_p ã_p'  if r_p = r_p', else 0  row × row:       O(C) per pair on one row
 *   A[q][q'] = Σ_r b̃_q b̃_q'  if j_q = j_q', else 0  column × column: O(R) per pair on one column
 *   A[p][q] = ã_p(j_q) · b̃_q(r_p)                   row × column:    one entry, O(1): O(Pr·Pc)
 *   g[k] = Σ D_k e,  g[p] = Σ_j ã_p e(r_p, j),  g[q] = Σ_r b̃_q e(r, j_q)
 *
 * Pr and Pc grow like R and C (a few per BPM, a few per corrector), so the
 * gain and coupling part costs O(N·Pd + Pr·Pc) = O(N·(Pd + 1)) instead of the
 * O(N·(Pr + Pc)²) = O(N·(R + C)²) of a dense Jᵀ J: the whole build is
 * O(n·Pd²) (the gradient groups, over the n fitted entries: without the
 * coupling blocks half of the matrix), the solve O(P³) for P = Pd + Pr + Pc.
 * Memory: the Pd dense derivatives given (Pd·N numbers) and their weighted
 * compact copy (Pd·n); the rest is O(N + P²). The dense block is a Gram matrix,
 * summed over chunks of the entries two by two (cache and loads shared).
 *
 * Matrices here are flat, column-major: entry (r, j) at j·R + r.
 */

/** A parameter touching one row of the data: a(j) is ∂d(row, j)/∂p. */
export interface RowParameter {
  readonly row: number;
  readonly a: Float64Array;
}

/** A parameter touching one column of the data: b(r) is ∂d(r, column)/∂q. */
export interface ColumnParameter {
  readonly column: number;
  readonly b: Float64Array;
}

export interface NormalEquationsInput {
  readonly rows: number;
  readonly columns: number;
  /** Weights w(r, j) (flat, column-major); 0 leaves an entry out. */
  readonly weights: Float64Array;
  /** Residuals measured − model (flat, column-major; entries with weight 0 are ignored, NaN allowed there). */
  readonly residual: Float64Array;
  /** Unweighted derivatives of the dense parameters (flat, column-major). */
  readonly dense: readonly Float64Array[];
  readonly rowParameters: readonly RowParameter[];
  readonly columnParameters: readonly ColumnParameter[];
}

export interface NormalEquations {
  /** P×P, parameters in the order dense, row, column. */
  readonly a: Float64Array[];
  readonly g: Float64Array;
}

/** A and g from the structure (see the file header); parameter order: dense, row, column. */
export function buildNormalEquations(input: NormalEquationsInput): NormalEquations {
  const { rows: R, columns: C, weights: w } = input;
  const N = R * C;
  const pd = input.dense.length;
  const pr = input.rowParameters.length;
  const pc = input.columnParameters.length;
  const P = pd + pr + pc;
  const a = Array.from({ length: P }, () => new Float64Array(P));
  const g = new Float64Array(P);
  // The dense block runs over the fitted entries only (weight ≠ 0): n of the N.
  let n = 0;
  for (let i = 0; i < N; i++) if (w[i] !== 0) n++;
  const used = new Int32Array(n);
  for (let i = 0, k = 0; i < N; i++) if (w[i] !== 0) used[k++] = i;
  // z_k = w·∂d_k and w·residual on the fitted entries: A[k][l] = z_k·z_l (a Gram matrix), g[k] = z_k·(w e).
  const z = input.dense.map((d) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = used[i];
      out[i] = d[u] * w[u];
    }
    return out;
  });
  const we = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = used[i];
    we[i] = w[u] * input.residual[u];
  }
  gram(z, n, a);
  for (let k = 0; k < pd; k++) {
    const zk = z[k];
    let s = 0;
    for (let i = 0; i < n; i++) s += zk[i] * we[i];
    g[k] = s;
  }
  // Row parameters: ã_p(j) w(r_p, j) folded: aw(j) = w(r_p, j)²·a_p(j).
  const aw = input.rowParameters.map(({ row, a: av }) => {
    const out = new Float64Array(C);
    for (let j = 0; j < C; j++) {
      const wi = w[j * R + row];
      out[j] = wi !== 0 ? wi * wi * av[j] : 0;
    }
    return out;
  });
  const bw = input.columnParameters.map(({ column, b }) => {
    const out = new Float64Array(R);
    const o = column * R;
    for (let r = 0; r < R; r++) {
      const wi = w[o + r];
      out[r] = wi !== 0 ? wi * wi * b[r] : 0;
    }
    return out;
  });
  for (let p = 0; p < pr; p++) {
    const P1 = pd + p;
    const { row } = input.rowParameters[p];
    const awp = aw[p];
    for (let k = 0; k < pd; k++) {
      const dk = input.dense[k];
      let s = 0;
      for (let j = 0; j < C; j++) s += dk[j * R + row] * awp[j];
      a[k][P1] = s;
      a[P1][k] = s;
    }
    for (let p2 = p; p2 < pr; p2++) {
      if (input.rowParameters[p2].row !== row) continue;
      const av2 = input.rowParameters[p2].a;
      let s = 0;
      for (let j = 0; j < C; j++) if (awp[j] !== 0) s += av2[j] * awp[j];
      a[P1][pd + p2] = s;
      a[pd + p2][P1] = s;
    }
    let s = 0;
    for (let j = 0; j < C; j++) if (awp[j] !== 0) s += awp[j] * input.residual[j * R + row];
    g[P1] = s;
  }
  for (let q = 0; q < pc; q++) {
    const Q1 = pd + pr + q;
    const { column, b } = input.columnParameters[q];
    const bwq = bw[q];
    const o = column * R;
    for (let k = 0; k < pd; k++) {
      const dk = input.dense[k];
      let s = 0;
      for (let r = 0; r < R; r++) s += dk[o + r] * bwq[r];
      a[k][Q1] = s;
      a[Q1][k] = s;
    }
    for (let q2 = q; q2 < pc; q2++) {
      if (input.columnParameters[q2].column !== column) continue;
      const b2 = input.columnParameters[q2].b;
      let s = 0;
      for (let r = 0; r < R; r++) if (bwq[r] !== 0) s += b2[r] * bwq[r];
      a[Q1][pd + pr + q2] = s;
      a[pd + pr + q2][Q1] = s;
    }
    // Row × column: the one shared entry (r_p, j_q).
    for (let p = 0; p < pr; p++) {
      const { row, a: av } = input.rowParameters[p];
      const wi = w[o + row];
      const s = wi !== 0 ? av[column] * wi * wi * b[row] : 0;
      a[pd + p][Q1] = s;
      a[Q1][pd + p] = s;
    }
    let s = 0;
    for (let r = 0; r < R; r++) if (bwq[r] !== 0) s += bwq[r] * input.residual[o + r];
    g[Q1] = s;
  }
  return { a, g };
}

/** Entries per chunk of the Gram product: a chunk of every z stays in cache while the pairs are summed. */
const CHUNK = 2048;

/**
 * a[k][l] = z_k·z_l for k, l < z.length (both triangles), over chunks of the
 * entries, two rows by two columns at a time (each loaded value used twice).
 */
function gram(z: readonly Float64Array[], n: number, a: Float64Array[]): void {
  const p = z.length;
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const c1 = Math.min(n, c0 + CHUNK);
    for (let k = 0; k < p; k += 2) {
      const x0 = z[k];
      const x1 = k + 1 < p ? z[k + 1] : undefined;
      for (let l = k; l < p; l += 2) {
        const y0 = z[l];
        const y1 = l + 1 < p ? z[l + 1] : undefined;
        if (x1 && y1) {
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
          for (let i = c0; i < c1; i++) {
            const a0 = x0[i], a1 = x1[i], b0 = y0[i], b1 = y1[i];
            s00 += a0 * b0;
            s01 += a0 * b1;
            s10 += a1 * b0;
            s11 += a1 * b1;
          }
          a[k][l] += s00;
          a[k][l + 1] += s01;
          a[k + 1][l] += s10;
          a[k + 1][l + 1] += s11;
        } else {
          // The last row or column when p is odd.
          for (const [r, x] of [[k, x0], [k + 1, x1]] as const) {
            if (!x) continue;
            for (const [c, y] of [[l, y0], [l + 1, y1]] as const) {
              if (!y) continue;
              let s = 0;
              for (let i = c0; i < c1; i++) s += x[i] * y[i];
              a[r][c] += s;
            }
          }
        }
      }
    }
  }
  for (let k = 0; k < p; k++) for (let l = k + 1; l < p; l++) a[l][k] = a[k][l];
}
