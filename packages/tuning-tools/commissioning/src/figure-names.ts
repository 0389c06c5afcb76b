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
} as const;

export type FigureName = keyof typeof FIGURES;
export const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];
export type Figures = Record<FigureName, number>;
