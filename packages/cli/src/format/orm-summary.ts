/**
 * The text of a measured response matrix: per plane the BPMs and correctors it relates, the
 * step each corrector was given and the largest response, in units of their magnitude.
 */
import type { OrbitResponseMatrix } from '@mlayer/orbit';
import { formatQuantity } from '@mlayer/core';

const maxAbs = (rows: readonly ArrayLike<number>[] | undefined): number => {
  let m = 0;
  for (const r of rows ?? []) for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i])) m = Math.max(m, Math.abs(r[i]));
  return m;
};

/** One line per plane and one for the RF column. */
export function ormSummary(orm: OrbitResponseMatrix): string {
  let text = '';
  for (const p of ['x', 'y'] as const) {
    const cor = orm.correctors[p];
    const bpm = orm.bpms[p];
    if (!cor || !bpm) continue;
    const kicks = Array.from(cor.kicks).filter(Number.isFinite);
    const lo = Math.min(...kicks);
    const hi = Math.max(...kicks);
    const step = lo === hi ? `±${formatQuantity(hi, cor.unit)}` : `±${formatQuantity(lo, cor.unit)} to ±${formatQuantity(hi, cor.unit)}`;
    const block = p === 'x' ? orm.Rxx : orm.Ryy;
    text += `${p}: ${bpm.names.length} BPMs (${bpm.family}) × ${cor.names.length} correctors (${cor.family}), steps ${step}, largest |R${p}${p}| ${formatQuantity(maxAbs(block), `${bpm.unit}/${cor.unit}`)}\n`;
  }
  if (orm.rf) text += `RF column (${orm.rf.name}): step ±${formatQuantity(orm.rf.step, orm.rf.unit)}\n`;
  return text;
}
