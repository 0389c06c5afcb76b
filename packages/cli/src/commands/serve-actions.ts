import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import type { GlobalOptions } from '../global-options.js';
import type { ServeProtocol, Served } from '@mlayer/virtual-accelerator';
import { facilityFile } from '../demo-facility.js';
import { parseLatency, parseRampRate, positiveNumber, type ServedTiming } from '@mlayer/virtual-accelerator';

/** The protocols, each loaded only when asked for (one module per protocol: serve-<protocol>.ts). */
const PROTOCOLS: Record<string, () => Promise<ServeProtocol>> = {
  tango: async () => (await import('@mlayer/virtual-accelerator')).serveTangoCommand,
  epics: async () => (await import('@mlayer/virtual-accelerator')).serveEpicsCommand,
};

/** Resolves on the first SIGINT or SIGTERM. */
function termination(): { done: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = (): void => undefined;
  const done = new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals): void => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    dispose = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  });
  return { done, dispose };
}

export interface ServeCommandOptions {
  protocol: string;
  tangoHost?: string;
  pva: boolean;
  port?: string;
  settle?: string;
  putCallbackDelay?: string;
  bpmRate?: string;
  bpmSamples?: string;
  rampRate?: string;
  latency?: string;
  families?: string;
  seed: string;
  errors?: string;
  faults?: string;
  twin?: string;
  controlSystem?: string;
  overlay?: string;
}

/** The timing options of the command line. */
function timingOf(o: ServeCommandOptions): ServedTiming {
  if (o.settle !== undefined && o.putCallbackDelay !== undefined) throw new MlayerError('--settle is the old name of --put-callback-delay: give one of them');
  const delay = o.putCallbackDelay ?? o.settle;
  const ramp = o.rampRate !== undefined ? parseRampRate(o.rampRate) : undefined;
  return {
    bpmRate: o.bpmRate !== undefined ? positiveNumber(o.bpmRate, '--bpm-rate') : undefined,
    bpmSamples: o.bpmSamples !== undefined ? positiveNumber(o.bpmSamples, '--bpm-samples', { integer: true }) : undefined,
    rampRate: ramp?.rampRate,
    familyRampRates: ramp?.familyRampRates,
    latency: o.latency !== undefined ? parseLatency(o.latency) : undefined,
    putCallbackDelay: delay !== undefined ? positiveNumber(delay, o.putCallbackDelay !== undefined ? '--put-callback-delay' : '--settle', { zero: true }) : undefined,
  };
}

/** `mlayer serve`: serves the twin until SIGINT/SIGTERM (SIGUSR1 stops and resumes the BPM publication). */
export async function serveAction(o: ServeCommandOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const load = PROTOCOLS[o.protocol];
  if (!load) throw new MlayerError(`--protocol: unknown protocol '${o.protocol}'; known: ${Object.keys(PROTOCOLS).join(', ')}`);
  if (o.seed !== undefined && o.errors === undefined) throw new MlayerError('--seed needs --errors (the seed draws the error set)');
  const seed = Number(o.seed ?? 1);
  if (!Number.isInteger(seed)) throw new MlayerError(`--seed: '${o.seed}' is not an integer`);
  if (o.tangoHost !== undefined && o.protocol !== 'tango') throw new MlayerError(`--tango-host applies to --protocol tango only (got --protocol ${o.protocol})`);
  if (o.port !== undefined && o.protocol !== 'epics') throw new MlayerError(`--port applies to --protocol epics only (got --protocol ${o.protocol}); TANGO: --tango-host`);
  const port = o.port !== undefined ? positiveNumber(o.port, '--port', { integer: true }) : undefined;
  if (port !== undefined && port > 65535) throw new MlayerError(`--port: ${port} is not a port number (1-65535)`);
  const timing = timingOf(o);
  const families = o.families?.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
  const log = (line: string): void => {
    if (!g.json) process.stdout.write(`${line}\n`);
  };
  const stop = termination();
  const toggle = (): void => {
    const hw = served?.hardware;
    if (!hw) return;
    if (hw.stoppedFamilies.length > 0) {
      hw.resumePublication();
      process.stderr.write('SIGUSR1: BPM publication resumed\n');
    } else {
      hw.stopPublication();
      process.stderr.write(`SIGUSR1: BPM publication stopped (${hw.stoppedFamilies.join(', ')}); SIGUSR1 again resumes it\n`);
    }
  };
  let served: Served | undefined;
  process.on('SIGUSR1', toggle);
  try {
    served = await (await load())({ facility: facilityFile(g.facility), twin: o.twin, errors: o.errors, faults: o.faults, seed, overlay: o.overlay, controlSystem: o.controlSystem, timing, families, protocolOptions: { tangoHost: o.tangoHost, pva: o.pva, port }, json: !!g.json }, log);
    if (g.json) process.stdout.write(`${JSON.stringify({ ...served.summary, pid: process.pid })}\n`);
    log('serving; Ctrl-C stops');
    const sig = await stop.done;
    log(`${sig}: stopping`);
    await served.stop();
    log('stopped');
  } finally {
    process.off('SIGUSR1', toggle);
    stop.dispose();
  }
}
