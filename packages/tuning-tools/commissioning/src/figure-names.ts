/**
 * The figures of merit a digital twin gives truthfully after each stage (from its
 * machine model, which a real machine does not show), and the BPM readings. Names
 * are the manifest's metric names and the keys of success criteria.
 */
export const FIGURES = {
  beam_stored: 'the twin holds a stored beam (1) or not (0); a twin without beam states: a closed orbit exists',
  orbit_read_rms_x: 'rms of the horizontal BPM readings, m',
  orbit_read_rms_y: 'rms of the vertical BPM readings, m',
  orbit_true_rms_x: 'rms horizontal closed orbit at the BPMs (machine model), m',
  orbit_true_rms_y: 'rms vertical closed orbit at the BPMs (machine model), m',
  quad_offset_rms_x: 'rms horizontal offset of the beam from the quadrupole magnetic centres (machine model), m',
  quad_offset_rms_y: 'rms vertical offset of the beam from the quadrupole magnetic centres (machine model), m',
  beta_beat_x: 'rms (beta - beta_design) / beta_design at the BPMs',
  beta_beat_y: 'rms (beta - beta_design) / beta_design at the BPMs',
  dispersion_beat_x: 'rms (Dx - Dx_design) at the BPMs, m',
  tune_x: 'fractional horizontal tune (machine model)',
  tune_y: 'fractional vertical tune (machine model)',
  tune_error_x: '|fractional tune - target|, horizontal',
  tune_error_y: '|fractional tune - target|, vertical',
  chromaticity_x: 'horizontal chromaticity (machine model)',
  chromaticity_y: 'vertical chromaticity (machine model)',
  chromaticity_error_x: '|chromaticity - target|, horizontal',
  chromaticity_error_y: '|chromaticity - target|, vertical',
  emittance_x: 'horizontal (mode 1) equilibrium emittance of the 6D model (radiation, RF; Ohmi envelope), m; NaN without an RF cavity',
  emittance_y: 'vertical (mode 2) equilibrium emittance of the 6D model, m',
  coupling: 'emittance ratio emittance_y / emittance_x',
  dynamic_aperture_x: "horizontal dynamic aperture: the smaller of the last surviving |x| on the negative and positive x axis (m, 4D tracking of the machine model); only after a 'figures' stage with dynamicAperture",
  dynamic_aperture_y: "vertical dynamic aperture: the last surviving y on the vertical axis (m); only after a 'figures' stage with dynamicAperture",
} as const;

export type FigureName = keyof typeof FIGURES;
export const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];
export type Figures = Record<FigureName, number>;

/** The unit of a figure in the scan files: m for lengths, '' for ratios, tunes and chromaticities. */
export const figureUnit = (n: FigureName): string => (/_rms_|^dispersion_beat|^emittance_|^dynamic_aperture_/.test(n) ? 'm' : '');
