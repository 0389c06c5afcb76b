export { TuneError } from './errors.js';
export { fft, hanning, windowedAmplitude, amplitudeSpectrum, findPeak, frequencyUncertainty, type Spectrum, type Peak, type PeakOptions } from './spectrum.js';
export { analysePlane, lineAmplitude, type HalfSide, type PlaneTune, type TbtAnalysisOptions } from './tbt-analysis.js';
export { PLANES, devicePlanes, tuneMonitors, turnByTurnFamilies, kickers, type PlaneName } from './tune-sources.js';
export { measureTunes, tuneMethod, type MeasureTuneOptions, type TuneMeasurement, type TuneMethod } from './measure-tune.js';
export { modelTuneResponse, measureTuneResponse, type TuneResponse, type MeasureTuneResponseOptions } from './tune-response.js';
export { stepTunes, setTunes, tuneDifference, type StepTunesOptions, type StepTunesResult, type SetTunesOptions, type SetTunesResult } from './correct-tune.js';
