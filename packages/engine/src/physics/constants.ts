/**
 * Numerical constants of the linear-optics algorithms, with pyAT's default
 * values (at.lattice.DConstant).
 */

/** Transverse step of the finite-difference derivatives (m, rad). */
export const XY_STEP = 3e-8;
/** Momentum step of the finite-difference derivatives. */
export const DP_STEP = 3e-6;
/** Newton convergence: norm of the change of the orbit between iterations. */
export const ORBIT_CONVERGENCE = 1e-12;
/** Maximum number of Newton iterations of the closed-orbit search. */
export const ORBIT_MAX_ITERATIONS = 20;
