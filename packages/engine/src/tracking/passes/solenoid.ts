/**
 * SolenoidLinearPass: AT's hard-edge solenoid of uniform longitudinal field,
 * linear in the transverse coordinates (AT atintegrators/SolenoidLinearPass.c).
 *
 * Fields: Length L [m], K [rad/m] = Bs / (B rho) (AT's `ks`, the same number as
 * MAD-X's KS); optional T1/R1 at the entrance and R2/T2 at the exit. No
 * apertures are checked (AT does not check them in this pass method).
 *
 * With d = delta, x' = px/(1+d), y' = py/(1+d), H = K / (2 (1+d)) (the Larmor
 * wavenumber), C = cos(H L), S = sin(H L):
 *
 *   x1  =        C^2 x + (C S / H) x' +     C S y + (S^2 / H) y'
 *   px1 = (1+d) (-H C S x +    C^2 x' - H S^2 y +     C S y')
 *   y1  =       -C S x - (S^2 / H) x' +     C^2 y + (C S / H) y'
 *   py1 = (1+d) ( H S^2 x -   C S x' - H C S y +     C^2 y')
 *   ct += L (H^2 (x^2 + y^2) + 2 H (x' y - y' x) + x'^2 + y'^2) / 2
 *
 * i.e. on (x, px, y, py) at d = 0 the map is ROT(H L) * F, where F focuses
 * both planes alike ([C, S/H; -H S, C] in each) and ROT turns the (x, y)
 * plane by the angle H L:
 *
 *   ROT = [ C I   S I ]     (I the 2x2 identity, on the (x, px) and (y, py) pairs)
 *         [-S I   C I ]
 *
 * The map is symplectic; ct gains the path length of the helix (to second
 * order), evaluated with the entrance coordinates as AT does.
 *
 * K = 0 is a plain drift (AT's branch); as in AT, that branch ignores T1/R1/
 * R2/T2 too. delta is read before T1 is added, as AT does.
 */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import type { PassMethod } from '../types.js';
import { driftKernel } from './simple.js';
import { framed } from './framed.js';

export interface SolenoidParams {
  readonly length: number;
  readonly K: number;
  readonly frame: Frame | undefined;
}

function solenoidKernel(c: Float64Array, n: number, p: SolenoidParams, alive: Uint8Array, pNorms: Float64Array): void {
  const L = p.length;
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    const pNorm = pNorms[i];
    const x = c[i], xp = c[o1 + i] * pNorm, y = c[o2 + i], yp = c[o3 + i] * pNorm;
    const H = (p.K * pNorm) / 2;
    const S = Math.sin(L * H), C = Math.cos(L * H);
    const CC = C * C, CS = C * S, SS = S * S;
    c[i] = CC * x + (CS / H) * xp + CS * y + (SS / H) * yp;
    c[o1 + i] = (-H * CS * x + CC * xp - H * SS * y + CS * yp) / pNorm;
    c[o2 + i] = -CS * x - (SS / H) * xp + CC * y + (CS / H) * yp;
    c[o3 + i] = (H * SS * x - CS * xp - H * CS * y + CC * yp) / pNorm;
    c[o5 + i] += (L * (H * H * (x * x + y * y) + 2 * H * (xp * y - yp * x) + xp * xp + yp * yp)) / 2;
  }
}

export const SolenoidLinearPass: PassMethod<SolenoidParams> = {
  name: 'SolenoidLinearPass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    const K = f.number('K');
    // AT's K = 0 branch is a drift without misalignment: no frame then.
    return { length: f.number('Length'), K, frame: K === 0 ? undefined : readFrame(f, { misalignment: true, apertures: false }) };
  },
  track(c, n, p, alive, ctx) {
    if (p.K === 0) {
      driftKernel(c, n, { length: p.length, frame: undefined }, alive);
      return;
    }
    // 1/(1+delta) before the entrance misalignment, as AT.
    const pNorms = new Float64Array(n);
    for (let i = 0; i < n; i++) pNorms[i] = 1 / (1 + c[4 * n + i]);
    framed<SolenoidParams>((cc, nn, pp, aa) => solenoidKernel(cc, nn, pp, aa, pNorms), { entrance: false, exit: false })(c, n, p, alive, ctx);
  },
};
