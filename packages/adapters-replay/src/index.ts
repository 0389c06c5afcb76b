export { RECORDING_FORMAT, RECORDING_VERSION, decodeError, decodeSample, decodeValue, encodeError, encodeSample, encodeValue, sameValue, showValue } from './recording-format.js';
export type { EncodedError, EncodedSample, EncodedValue, RecordingEvent, RecordingHeader } from './recording-format.js';
export { RecordingFile, readRecording } from './recording-file.js';
export type { Recording, RecordingSink } from './recording-file.js';
export { recordControlSystem } from './recording-control-system.js';
export type { RecordedControlSystem, RecordingCounts, RecordingHeaderInput } from './recording-control-system.js';
export { ReplayControlSystem, ReplayMismatchError, ReplayedError } from './replay-control-system.js';
export type { ReplayOptions, ReplaySpeed } from './replay-control-system.js';
