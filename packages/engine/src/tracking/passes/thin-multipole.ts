/** ThinMPolePass: a thin multipole kick (integrated strengths), with KickAngle and BendingAngle as AT. */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import type { PassMethod } from '../types.js';
import { framed } from './framed.js';
import { readMultipole, rejectFieldScaling } from './multipole-fields.js';

export interface ThinMultipoleParams {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly maxOrder: number;
  readonly bax: number;
  readonly bay: number;
  readonly frame: Frame | undefined;
}

export const ThinMPolePass: PassMethod<ThinMultipoleParams> = {
  name: 'ThinMPolePass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    rejectFieldScaling(f);
    const { A, B, maxOrder } = readMultipole(f);
    const kick = f.vector('KickAngle', 2);
    if (kick) {
      // AT: PolynomB[0] -= KickAngle[0]; PolynomA[0] += KickAngle[1] (thin: no length, no sine).
      B[0] -= kick[0];
      A[0] += kick[1];
    }
    let bax = 0, bay = 0;
    const ba = f.vector('BendingAngle');
    if (ba) {
      if (ba.length >= 1) bax = ba[0];
      if (ba.length >= 2) bay = ba[1];
    }
    return { A, B, maxOrder, bax, bay, frame: readFrame(f, { misalignment: true, apertures: true }) };
  },
  track: framed(
    (c, n, p: ThinMultipoleParams, alive) => {
      const { A, B, maxOrder: mo, bax, bay } = p;
      const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
      for (let i = 0; i < n; i++) {
        if (alive[i] === 0) continue;
        const x = c[i], y = c[o2 + i], d = c[o4 + i];
        let re = B[mo], im = A[mo];
        for (let k = mo - 1; k >= 0; k--) {
          const t = re * x - im * y + B[k];
          im = im * x + re * y + A[k];
          re = t;
        }
        c[o1 + i] = c[o1 + i] - 1.0 * re + bax * d;
        c[o3 + i] = c[o3 + i] + 1.0 * im - bay * d;
        c[o5 + i] -= bax * x - bay * y;
      }
    },
    { entrance: true, exit: false },
  ),
};
