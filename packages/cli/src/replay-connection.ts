/**
 * `--mode replay --recording FILE`: the control system is a ReplayControlSystem serving the
 * recording, in the facility's mode it was recorded in (its channel names). The recording
 * must come from this facility file and lattice (SHA-256 in its header); the design model
 * of model-based tools is the facility's lattice, as with --server.
 */
import { MlayerError, type LoadedFacility } from '@mlayer/core';
import type { ReplayControlSystem, ReplaySpeed } from '@mlayer/adapters-replay';
import { markReplay, sha256File } from './recording-session.js';

export interface ReplayModeOptions {
  readonly recording?: string;
  /** 1, N (times faster) or max (default). */
  readonly replaySpeed?: string;
  readonly server?: string;
}

/** Parses --replay-speed: 'max', or a positive number (1 is the recorded pace). */
export function replaySpeed(text: string | undefined): ReplaySpeed {
  if (text === undefined || text === 'max') return 'max';
  const v = /^\s*(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(v > 0) || !Number.isFinite(v)) throw new MlayerError(`--replay-speed: '${text}' is not a positive number or 'max'`);
  return v;
}

/** Opens the replay of `o.recording` for this facility; returns it and the recorded mode. */
export async function openReplay(o: ReplayModeOptions, facility: LoadedFacility): Promise<{ cs: ReplayControlSystem; mode: string }> {
  if (o.server) throw new MlayerError('--mode replay and --server exclude each other (a replay is its own control system)');
  if (!o.recording) throw new MlayerError('--mode replay needs --recording FILE (a file written by mlayer record --out FILE)');
  const speed = replaySpeed(o.replaySpeed);
  const { ReplayControlSystem, readRecording } = await import('@mlayer/adapters-replay');
  const recording = readRecording(o.recording);
  const h = recording.header;
  const where = `--recording ${o.recording}`;
  if (h.facility && h.facility.sha256 !== facility.sha256) {
    throw new MlayerError(`${where}: recorded on facility '${h.facility.name}' (${h.facility.file ?? 'file unknown'}, SHA-256 ${h.facility.sha256.slice(0, 12)}…), not on ${facility.file} (SHA-256 ${facility.sha256.slice(0, 12)}…): replay it with the facility it was recorded on`);
  }
  const ref = facility.config.lattice?.file;
  if (h.lattice && ref) {
    const lattice = facility.resolvePath(ref);
    const sha = sha256File(lattice);
    if (sha !== h.lattice.sha256) throw new MlayerError(`${where}: recorded with lattice ${h.lattice.file} of SHA-256 ${h.lattice.sha256.slice(0, 12)}…, but ${lattice} has SHA-256 ${sha.slice(0, 12)}…`);
  }
  const mode = h.mode;
  if (!mode || !facility.config.controlSystems[mode]) throw new MlayerError(`${where}: recorded in mode ${JSON.stringify(mode)}, which ${facility.file} does not define (it defines ${Object.keys(facility.config.controlSystems).join(', ')})`);
  const cs = new ReplayControlSystem(recording, { speed });
  markReplay(cs, cs.clock);
  // A command that made fewer calls than the recorded one says so (a mismatch is its own error).
  const close = cs.close.bind(cs);
  cs.close = async () => {
    if (cs.remaining > 0 && !cs.mismatch) process.stderr.write(`mlayer: replay of ${o.recording}: ${cs.remaining} of the recorded calls were not made\n`);
    await close();
  };
  return { cs, mode };
}
