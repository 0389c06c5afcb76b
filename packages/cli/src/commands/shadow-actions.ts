import { MlayerError } from '@mlayer/core';
import { DriftDetector, Shadow, applyErrorSetFile, type DriftAlarm } from '@mlayer/adapters-sim';
import { openAccelerator } from '../context.js';
import type { GlobalOptions } from '../global-options.js';
import { parseInteger } from '../cli-values.js';
import { interruptSignal } from '../progress.js';

export interface ShadowCommandOptions {
  from: string;
  twin?: string;
  errors?: string;
  seed?: string;
  rate?: string;
  updates?: string;
}

/** `mlayer shadow`: follows the source, prints each alarm (a JSON line with --json) and a summary at the end. */
export async function shadowAction(o: ShadowCommandOptions, g: GlobalOptions): Promise<void> {
  const rate = o.rate === undefined ? 10 : Number(o.rate);
  if (!(rate > 0 && Number.isFinite(rate))) throw new MlayerError(`--rate: '${o.rate}' is not a positive number of updates per second`);
  const updates = o.updates === undefined ? Number.POSITIVE_INFINITY : parseInteger(o.updates, '--updates');
  if (!(updates > 0)) throw new MlayerError(`--updates: '${o.updates}' is not a positive integer`);
  const remote = /^wss?:\/\//.test(o.from);
  const source = await openAccelerator({ ...g, server: remote ? o.from : undefined, mode: remote ? undefined : o.from });
  try {
    const names = Object.entries(source.facility.config.controlSystems).filter(([, c]) => c.type === 'twin').map(([n]) => n);
    const twinMode = o.twin ?? names[0];
    if (!twinMode || source.facility.config.controlSystems[twinMode]?.type !== 'twin') throw new MlayerError(`${source.facility.file}: the shadow needs a control system of type twin (${o.twin ? `'${o.twin}' is not one` : 'none in the facility'})`);
    const model = await openAccelerator({ ...g, server: undefined, mode: twinMode });
    try {
      if (o.errors) applyErrorSetFile(model.acc, model.facility.config, o.errors, o.seed === undefined ? 1 : parseInteger(o.seed, '--seed'));
      const shadow = await new Shadow(source.acc, model.acc).start();
      const detector = DriftDetector.forFacility(source.facility);
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      if (!g.json) say(`shadow of ${source.acc.mode}${remote ? ` (${o.from})` : ''} on twin '${twinMode}': ${shadow.followed.length} setpoints followed; learning the noise on ${detector.thresholds.learn} updates`);
      const alarms: DriftAlarm[] = [];
      const interrupt = interruptSignal();
      const signal = interrupt.signal;
      let n = 0;
      let channels = 0;
      for (; n < updates && !signal.aborted; n++) {
        const t0 = Date.now();
        const u = await shadow.update();
        channels = u.channels.length;
        for (const a of detector.push(u)) {
          alarms.push(a);
          say(g.json ? JSON.stringify(a) : `${new Date(a.time).toISOString()} ${a.kind} ${a.channel} ${a.size.toFixed(a.kind === 'beam-loss' ? 3 : 1)}${a.lifetime === undefined ? '' : ` lifetime ${a.lifetime.toFixed(1)} s`}`);
        }
        const wait = 1000 / rate - (Date.now() - t0);
        if (wait > 0 && n + 1 < updates) await new Promise((r) => setTimeout(r, wait));
      }
      interrupt.dispose();
      shadow.close();
      const summary = { updates: n, followed: shadow.followed.length, residuals: channels, alarms: alarms.length };
      say(g.json ? JSON.stringify({ summary }) : `${n} updates, ${channels} residuals each, ${alarms.length} alarm${alarms.length === 1 ? '' : 's'}`);
    } finally {
      await model.acc.close();
    }
  } finally {
    await source.acc.close();
  }
}
