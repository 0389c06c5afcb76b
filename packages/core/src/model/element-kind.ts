/**
 * What a lattice element is, for drawing a lattice (the CLI's strip plots, the server's optics
 * view): from its AT class, and from its pass method only when the class is missing (AT's
 * own rule when it loads a file without classes: Bnd*Pass is a bend, CorrectorPass a corrector,
 * a *Cavity* pass an RF cavity).
 */
export type ElementKind = 'dipole' | 'quadrupole' | 'sextupole' | 'multipole' | 'bpm' | 'corrector' | 'rf';

export function elementKind(className: string | undefined, passMethod: string): ElementKind | undefined {
  const c = (className ?? '').toLowerCase();
  if (c === '') {
    if (/^Bnd|Bend/.test(passMethod)) return 'dipole';
    if (passMethod === 'CorrectorPass') return 'corrector';
    if (/cavity/i.test(passMethod)) return 'rf';
    return undefined;
  }
  if (c === 'dipole' || c === 'bend' || c === 'sbend' || c === 'rbend') return 'dipole';
  if (c === 'quadrupole') return 'quadrupole';
  if (c === 'sextupole') return 'sextupole';
  if (c === 'multipole') return 'multipole';
  if (c === 'monitor') return 'bpm';
  if (c === 'corrector' || c === 'hkicker' || c === 'vkicker') return 'corrector';
  if (c === 'rfcavity') return 'rf';
  return undefined;
}
