/**
 * What a tune or chromaticity correction moved: per family the setpoint before and after
 * and the change (physics units, mean over the family's devices; the hardware change beside
 * it). The setpoints after are read; those before are the ones after less the changes the
 * steps applied (the steps apply their deltas exactly, to every device of the family).
 */
import type { Accelerator } from '@mlayer/core';
import { formatter } from '@mlayer/core';
import { formatTable } from './table.js';

export interface KnobStep {
  readonly families: readonly string[];
  readonly deltas: ArrayLike<number>;
}

export interface KnobMove {
  readonly family: string;
  readonly devices: number;
  readonly unit: string;
  readonly hardwareUnit: string;
  /** Means over the devices, physics units. */
  readonly old: number;
  readonly new: number;
  readonly change: number;
  /** Mean change in hardware units. */
  readonly hardwareChange: number;
}

const mean = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return v.length > 0 ? s / v.length : Number.NaN;
};

/** The moves of every family the steps changed, in the order first stepped. */
export async function knobMoves(acc: Accelerator, steps: readonly KnobStep[]): Promise<KnobMove[]> {
  const total = new Map<string, number>();
  for (const s of steps) s.families.forEach((f, j) => total.set(f, (total.get(f) ?? 0) + s.deltas[j]));
  const moves: KnobMove[] = [];
  for (const [family, change] of total) {
    const fam = acc.family(family);
    const now = await fam.get({ field: 'setpoint', units: 'physics' });
    const before = now.map((v) => v - change);
    const units = fam.units('setpoint');
    const hwNow = fam.toHardware(now);
    const hwBefore = fam.toHardware(before);
    moves.push({ family, devices: fam.size, unit: units.physics, hardwareUnit: units.hardware, old: mean(before), new: mean(now), change, hardwareChange: mean(hwNow.map((v, i) => v - hwBefore[i])) });
  }
  return moves;
}

/** The moves as a table: family, devices, old, new, change (physics), change (hardware). */
export function knobTable(moves: readonly KnobMove[]): string {
  if (moves.length === 0) return 'nothing moved\n';
  const rows = moves.map((m) => {
    const level = formatter(m.unit, [m.old, m.new], { significant: 6 });
    const delta = formatter(m.unit, [m.change], { significant: 4 });
    const hw = formatter(m.hardwareUnit, [m.hardwareChange], { significant: 4 });
    return [m.family, String(m.devices), level.format(m.old), level.format(m.new), `${m.change >= 0 ? '+' : ''}${delta.format(m.change)}`, `${m.hardwareChange >= 0 ? '+' : ''}${hw.format(m.hardwareChange)}`];
  });
  return formatTable([{ header: 'family', align: 'left' }, { header: 'devices' }, { header: 'old' }, { header: 'new' }, { header: 'change' }, { header: 'change (hardware)' }], rows, '  ');
}
