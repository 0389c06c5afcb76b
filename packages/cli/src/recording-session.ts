/**
 * `mlayer record`: while a recorded command runs, every control system the CLI builds
 * (openAccelerator) is wrapped by the recorder of @mlayer/adapters-replay, which writes
 * to the session's file. Loaded with context.ts, so it holds no import of its own: the
 * recorder is loaded only when a session is active.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlayerError, type Clock, type ControlSystem, type ControlSystemRegistry, type LoadedFacility } from '@mlayer/core';

export interface RecordingSessionOptions {
  /** The recording file. */
  readonly out: string;
  /** Replace an existing file (otherwise it is an error, and the file is kept). */
  readonly force: boolean;
  /** The command line recorded (for the header). */
  readonly command: readonly string[];
}

interface Session extends RecordingSessionOptions {
  /** Control systems recorded so far. */
  recorded: number;
}

let session: Session | undefined;

/** Starts recording the control systems built from now on into `options.out`. */
export function beginRecording(options: RecordingSessionOptions): void {
  if (session) throw new MlayerError(`record --out ${options.out}: a recording into ${session.out} is running (record cannot be nested)`);
  session = { ...options, recorded: 0 };
}

/** Ends the session; returns how many control systems were recorded. */
export function endRecording(): number {
  const n = session?.recorded ?? 0;
  session = undefined;
  return n;
}

/**
 * With a recording session: wraps the factory of `type` in `registry` so that the control
 * system it creates is recorded (header: facility and lattice SHA-256, mode, versions), and
 * returns the accelerator's clock, whose readings are recorded too (a replay gives them back).
 * Without one: nothing.
 */
export async function wrapForRecording(registry: ControlSystemRegistry, type: string, facility: LoadedFacility, mode: string): Promise<Clock | undefined> {
  const s = session;
  if (!s) return undefined;
  // Readings taken before the control system exists wait for its recorder.
  let recorder: { recordClockReading(ms: number): void } | undefined;
  const early: number[] = [];
  const clock: Clock = {
    now: () => {
      const v = Date.now();
      if (recorder) recorder.recordClockReading(v);
      else early.push(v);
      return v;
    },
  };
  if (s.recorded > 0) throw new MlayerError(`record --out ${s.out}: the command opens a second accelerator; a recording holds one control system`);
  const { RecordingFile, recordControlSystem } = await import('@mlayer/adapters-replay');
  const factory = registry.get(type);
  registry.register({
    ...factory,
    create: async (settings, context): Promise<ControlSystem> => {
      const inner = await factory.create(settings, context);
      const file = new RecordingFile(s.out, { overwrite: s.force });
      s.recorded++;
      const ref = facility.config.lattice?.file;
      const latticePath = ref ? facility.resolvePath(ref) : undefined;
      const recorded = recordControlSystem(inner, file, {
        facility: { name: facility.config.name, file: facility.file, sha256: facility.sha256 },
        ...(ref && latticePath ? { lattice: { file: ref, sha256: sha256File(latticePath) } } : {}),
        mode,
        controlSystemType: type,
        software: softwareVersions(),
        command: s.command,
      });
      for (const v of early) recorded.recordClockReading(v);
      recorder = recorded;
      return recorded;
    },
  });
  return clock;
}

/** SHA-256 of a file's bytes (the lattice's, in a recording's header and checked by a replay). */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The versions of Node and of the mlayer packages a recording comes from (each package.json found as Node finds packages: node_modules folders upwards). */
export function softwareVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  const here = dirname(fileURLToPath(import.meta.url));
  for (const pkg of ['@mlayer/cli', '@mlayer/core', '@mlayer/adapters-replay', '@mlayer/adapters-sim', '@mlayer/engine', '@mlayer/orbit']) {
    for (let d = here; ; d = dirname(d)) {
      const v = versionIn(join(d, 'node_modules', pkg, 'package.json'), pkg);
      if (v) {
        out[pkg] = v;
        break;
      }
      if (dirname(d) === d) break;
    }
  }
  return out;
}

function versionIn(file: string, name: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    return json.name === name ? json.version : undefined;
  } catch {
    return undefined;
  }
}

/** The control systems that serve a recording (--mode replay), with their recorded clocks. */
const replays = new WeakMap<ControlSystem, Clock>();

/** Marks a control system as a replay (replay-connection.ts) with the clock it replays. */
export function markReplay(cs: ControlSystem, clock: Clock): void {
  replays.set(cs, clock);
}

/** The recorded clock of a replay; undefined for any other control system. */
export function replayClock(cs: ControlSystem | undefined): Clock | undefined {
  return cs ? replays.get(cs) : undefined;
}

/**
 * The mode as outputs show it: 'replay' when the control system serves a recording (the
 * accelerator's mode is then the recorded one, whose channel names the replay serves).
 */
export function shownMode(acc: { readonly mode: string; readonly controlSystem: ControlSystem }): string {
  return replays.has(acc.controlSystem) ? 'replay' : acc.mode;
}
