/**
 * Layout shared by the host tables (tables.ts) and the WGSL kernel (tracking-kernel.ts):
 * opcodes, header fields and flag bits. One header of HEADER_WORDS u32 per element:
 *   [op, flags, frameOffset, physicsOffset, steps, maxOrder, aux, 0]
 * Offsets are relative to the configuration's block in the parameter table.
 */
export const HEADER_WORDS = 8;
export const NO_SLOT = 0xffffffff;

export const OP = {
  SKIP: 0,
  IDENTITY: 1,
  DRIFT: 2,
  STR: 3,
  BEND: 4,
  E2: 5,
  THIN: 6,
  CORRECTOR: 7,
  APERTURE: 8,
  MATRIX66: 9,
  WIGGLER: 10,
  CAVITY: 11,
} as const;

export const FLAG = {
  T1: 1,
  R1: 2,
  T2: 4,
  R2: 8,
  RAP: 16,
  EAP: 32,
  /** Aperture check at the entrance / exit (the pass method's convention, when an aperture is present). */
  AP_ENTRY: 64,
  AP_EXIT: 128,
  QF_ENTRY: 256,
  QF_EXIT: 512,
  LIN_ENTRY: 1024,
  LIN_EXIT: 2048,
  /** Radiating slices (the ...RadPass variants): classical radiation at every kick. */
  RAD: 4096,
} as const;

export const FRAME_FLAGS = FLAG.T1 | FLAG.R1 | FLAG.T2 | FLAG.R2 | FLAG.RAP | FLAG.EAP;

/** WGSL declarations of the same constants. */
export function layoutWgsl(): string {
  const ops = Object.entries(OP).map(([k, v]) => `const OP_${k} = ${v}u;`);
  const flags = Object.entries(FLAG).map(([k, v]) => `const F_${k} = ${v}u;`);
  return [...ops, ...flags, `const FRAME_FLAGS = ${FRAME_FLAGS}u;`, `const NO_SLOT = ${NO_SLOT}u;`, `const HW = ${HEADER_WORDS}u;`].join('\n');
}
