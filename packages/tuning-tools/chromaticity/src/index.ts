export { ChromaticityError } from './errors.js';
export { polyfit, type PolyFit } from './fit.js';
export { tuneMonitorReader, type TuneReader, type TuneReading } from './tune-reader.js';
export { measureChromaticity, rfFamily, type MeasureChromaticityOptions, type ChromaticityMeasurement } from './measure-chromaticity.js';
export { modelChromaticityResponse, measureChromaticityResponse, type ChromaticityResponse, type MeasureChromaticityResponseOptions } from './chromaticity-response.js';
export { stepChromaticity, setChromaticity, type StepChromaticityOptions, type StepChromaticityResult, type SetChromaticityOptions, type SetChromaticityResult } from './correct-chromaticity.js';
