/** DriftPass, IdentityPass, AperturePass, Matrix66Pass and CorrectorPass. */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import type { PassMethod } from '../types.js';
import { framed } from './framed.js';

export interface DriftParams {
  readonly length: number;
  readonly frame: Frame | undefined;
}

/** AT's ATdrift6: x += L/(1+d) px, ct += L/(1+d)^2 (px^2+py^2)/2. */
export function driftKernel(c: Float64Array, n: number, p: DriftParams, alive: Uint8Array): void {
  const L = p.length;
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    const px = c[o1 + i], py = c[o3 + i];
    const pNorm = 1 / (1 + c[o4 + i]);
    const NormL = L * pNorm;
    c[i] += NormL * px;
    c[o2 + i] += NormL * py;
    c[o5 + i] += (NormL * pNorm * (px * px + py * py)) / 2;
  }
}

export const DriftPass: PassMethod<DriftParams> = {
  name: 'DriftPass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    return { length: f.number('Length'), frame: readFrame(f, { misalignment: true, apertures: true }) };
  },
  track: framed(driftKernel, { entrance: true, exit: true }),
};

export interface IdentityParams {
  readonly frame: Frame | undefined;
}

export const IdentityPass: PassMethod<IdentityParams> = {
  name: 'IdentityPass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    return { frame: readFrame(f, { misalignment: true, apertures: true }) };
  },
  // AT checks the apertures once, between R1 and R2.
  track: framed(() => undefined, { entrance: true, exit: false }),
  isIdentity: (p) => p.frame === undefined,
};

export interface ApertureParams {
  readonly limits: Float64Array;
}

export const AperturePass: PassMethod<ApertureParams> = {
  name: 'AperturePass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    const limits = f.requiredVector('Limits', 4);
    if (!(limits[0] <= limits[1] && limits[2] <= limits[3])) f.fail('Limits', f.raw('Limits'), '[xmin, xmax, ymin, ymax] with min <= max');
    return { limits };
  },
  track(c, n, p, alive) {
    const l = p.limits;
    const o2 = 2 * n;
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      const x = c[i], y = c[o2 + i];
      if (x < l[0] || x > l[1]) c[i] = Infinity;
      else if (y < l[2] || y > l[3]) c[o2 + i] = Infinity;
    }
  },
};

export interface Matrix66Params {
  readonly m: Float64Array;
  readonly frame: Frame | undefined;
}

export const Matrix66Pass: PassMethod<Matrix66Params> = {
  name: 'Matrix66Pass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    const m = f.matrix66('M66') ?? f.fail('M66', undefined, 'a 6x6 matrix of finite numbers (6 rows of 6)');
    return { m, frame: readFrame(f, { misalignment: true, apertures: false }) };
  },
  track: framed(
    (c, n, p: Matrix66Params, alive) => {
      const m = p.m;
      for (let i = 0; i < n; i++) {
        if (alive[i] === 0) continue;
        const r0 = c[i], r1 = c[n + i], r2 = c[2 * n + i], r3 = c[3 * n + i], r4 = c[4 * n + i], r5 = c[5 * n + i];
        for (let k = 0; k < 6; k++) {
          const o = 6 * k;
          c[k * n + i] = m[o] * r0 + m[o + 1] * r1 + m[o + 2] * r2 + m[o + 3] * r3 + m[o + 4] * r4 + m[o + 5] * r5;
        }
      }
    },
    { entrance: false, exit: false },
  ),
};

export interface CorrectorParams {
  readonly length: number;
  readonly xkick: number;
  readonly ykick: number;
}

/** AT's CorrectorPass: a thin kick (Length 0) or a drift with a uniform kick (Length > 0). */
export const CorrectorPass: PassMethod<CorrectorParams> = {
  name: 'CorrectorPass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    const kick = f.requiredVector('KickAngle', 2);
    return { length: f.number('Length'), xkick: kick[0], ykick: kick[1] };
  },
  track(c, n, p, alive) {
    const { length: len, xkick, ykick } = p;
    const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
    if (len === 0) {
      for (let i = 0; i < n; i++) {
        if (alive[i] === 0) continue;
        c[o1 + i] += xkick;
        c[o3 + i] += ykick;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      const px = c[o1 + i], py = c[o3 + i];
      const pNorm = 1 / (1 + c[o4 + i]);
      const NormL = len * pNorm;
      c[o5 + i] += (NormL * pNorm * ((xkick * xkick) / 3 + (ykick * ykick) / 3 + px * px + py * py + px * xkick + py * ykick)) / 2;
      c[i] += NormL * (px + xkick / 2);
      c[o1 + i] = px + xkick;
      c[o2 + i] += NormL * (py + ykick / 2);
      c[o3 + i] = py + ykick;
    }
  },
};
