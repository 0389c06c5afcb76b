/**
 * The families `tune set` and `chrom set` step (MML settune / setchro knobs): `--families`,
 * else the facility's tools.tune.families / tools.chromaticity.families.
 */
import { MlayerError, facilityTools, type Accelerator } from '@mlayer/core';

export function knobFamilies(acc: Accelerator, text: string | undefined, knob: 'tune' | 'chromaticity'): string[] {
  const what = knob === 'tune' ? 'quadrupole' : 'sextupole';
  if (text) return text.split(',').map((s) => s.trim()).filter(Boolean);
  const t = facilityTools(acc.facility);
  const fallback = knob === 'tune' ? t.tuneFamilies : t.chromaticityFamilies;
  if (fallback) return [...fallback];
  throw new MlayerError(`give the ${what} families with --families A,B (two or more), or name them in the facility (${acc.facility.file}: tools.${knob}.families)`);
}
