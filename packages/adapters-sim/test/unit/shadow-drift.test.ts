/**
 * The digital shadow and drift detection (issue 24 items 1-2), in simulated time, in process:
 * a "live" twin (ThomX, seeded errors, BPM and tune noise) is the source; the shadow is a twin of
 * the same facility whose lattice carries the same errors, fed from the live setpoints.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator, type Clock } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { DriftDetector, Random, Shadow, registerTwin, type DriftAlarm, type TwinControlSystem } from '../../src/index.js';
import { thomxFacilityFile } from '../twin-fixture.js';

class SimClock implements Clock {
  t = 1_700_000_000_000;
  now(): number {
    return this.t;
  }
}

const SIGMA = 2e-6; // BPM noise, m
const TUNE_NOISE = 1e-4;
const ERRORS = { magnets: { QUAD: { dx: 30e-6, dy: 30e-6, field: 1e-3 } }, bpms: { BPMx: { offset: 50e-6 }, BPMy: { offset: 50e-6 } } };

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function twinAcc(file: string, clock: SimClock): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(file, { conversions }), controlSystems, conversions, clock, extras: { clock }, allowWrites: true });
  open.push(acc);
  return { acc, twin: acc.controlSystem as TwinControlSystem };
}

/** A live twin and its shadow (same facility, same errors and seed), the shadow started. */
async function pair(supplies = true) {
  const clock = new SimClock();
  const file = thomxFacilityFile({ bpmNoise: SIGMA, tuneNoise: TUNE_NOISE, seed: 5 });
  const live = await twinAcc(file, clock);
  const model = await twinAcc(file, clock);
  live.twin.applyErrors(ERRORS, 3);
  model.twin.applyErrors(ERRORS, 3);
  const shadow = await new Shadow(live.acc, model.acc, { clock, supplies }).start();
  return { clock, live, model, shadow };
}

/** The paired twins and a drift detector that has learnt over its `learn` updates, 100 ms apart. */
async function learntPair(options: ConstructorParameters<typeof DriftDetector>[0] & { learn: number }, supplies = true) {
  const p = await pair(supplies);
  const detector = new DriftDetector(options);
  for (let i = 0; i < options.learn; i++) {
    p.clock.t += 100;
    detector.push(await p.shadow.update());
  }
  return { ...p, detector };
}

describe('digital shadow', () => {
  it('follows the live setpoints (500 changes in 100 ms: at most 2 model computations); model orbit and tune match the measured to the noise', async () => {
    const { clock, live, model, shadow } = await pair();
    expect(shadow.followed.length).toBeGreaterThan(20);
    const hcm = live.acc.family('HCM');
    await hcm.devices([hcm.deviceList[5]]).set(0.5);
    let u = await shadow.update();
    expect(u.channels).toContain('TUNE:X');
    const bpm = u.kinds.flatMap((k, i) => (k === 'bpm' ? [i] : []));
    expect(Math.max(...bpm.map((i) => Math.abs(u.measured[i])))).toBeGreaterThan(1e-4);
    expect(Math.max(...bpm.map((i) => Math.abs(u.residual[i])))).toBeLessThan(5 * SIGMA);
    expect(Math.abs(u.residual[u.channels.indexOf('TUNE:X')])).toBeLessThan(5 * TUNE_NOISE);

    // A burst: 500 setpoint changes over 100 ms of simulated time, the shadow updating at 10 Hz.
    const before = { ...model.twin.computations };
    const sp = [...hcm.channels('setpoint'), ...live.acc.family('VCM').channels('setpoint')];
    for (let k = 0; k < 500; k++) {
      await live.twin.write([{ channel: sp[k % sp.length], value: 0.001 * ((k * 7919) % 200) - 0.1 }]);
      clock.t += 0.2;
      if (k % 500 === 499 || k === 249) u = await shadow.update();
    }
    expect(model.twin.computations.orbit - before.orbit).toBeLessThanOrEqual(2);
    expect(model.twin.computations.tunes - before.tunes).toBeLessThanOrEqual(2);
    expect(Math.max(...bpm.map((i) => Math.abs(u.residual[i])))).toBeLessThan(5 * SIGMA);
    shadow.close();
  });

  it('a 1 % gradient error in one quadrupole of the live twin only: the drift alarm names BPM residuals and the tune within 10 updates', async () => {
    const { clock, live, shadow } = await pair();
    const detector = new DriftDetector({ learn: 100, k: 6, alpha: 0.3 });
    const alarms: DriftAlarm[] = [];
    detector.alarms$.subscribe((a) => alarms.push(a));
    for (let i = 0; i < 100; i++) {
      clock.t += 100;
      detector.push(await shadow.update());
    }
    expect(detector.learnt).toBe(true);
    expect(alarms).toEqual([]);
    live.twin.injectFaults([{ kind: 'gradient', family: 'QUAD', device: [2, 1], relative: 0.01 }]);
    let updates = 0;
    while (updates < 10 && !(alarms.some((a) => a.channel.startsWith('BPM')) && alarms.some((a) => a.channel === 'TUNE:X'))) {
      clock.t += 100;
      detector.push(await shadow.update());
      updates++;
    }
    expect(alarms.some((a) => a.kind === 'drift' && a.channel.startsWith('BPM:'))).toBe(true);
    expect(alarms.some((a) => a.kind === 'drift' && a.channel === 'TUNE:X')).toBe(true);
    expect(updates).toBeLessThanOrEqual(10);
    console.log(`gradient 1 %: alarms after ${updates} updates: ${alarms.length} (${alarms.slice(0, 4).map((a) => `${a.channel} ${a.size.toFixed(1)} sigma`).join(', ')})`);
    shadow.close();
  });

  it('an RF frequency drift the RF readback does not show: BPM drift alarms within 10 updates', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 50 });
    live.twin.injectFaults([{ kind: 'rf-drift', rate: 500 }]);
    const alarms: DriftAlarm[] = [];
    for (let i = 0; i < 10 && alarms.length === 0; i++) {
      clock.t += 100;
      alarms.push(...detector.push(await shadow.update()));
    }
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((a) => a.kind === 'drift' && a.channel.startsWith('BPM:'))).toBe(true);
    shadow.close();
  });

  it('corrector supply noise beyond the readback tolerance: tolerance alarms on the noisy supplies only', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 10, toleranceUpdates: 3 });
    // 0.05 A rms against a tolerance of 0.01 A: a readback is outside it in 84 % of updates, three in a row in 59 %.
    live.twin.injectFaults([{ kind: 'corrector-noise', family: 'VCM', sigma: 0.05, seed: 2 }]);
    const alarms: DriftAlarm[] = [];
    for (let i = 0; i < 40; i++) {
      clock.t += 100;
      alarms.push(...detector.push(await shadow.update()).filter((a) => a.kind === 'tolerance'));
    }
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((a) => a.channel.startsWith('VCM:'))).toBe(true);
    shadow.close();
  });

  it('a dead BPM (constant, then NaN) raises dead', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 20, deadUpdates: 10 });
    live.twin.injectFaults([{ kind: 'bpm', family: 'BPMx', device: [1, 2], mode: 'constant' }, { kind: 'bpm', family: 'BPMy', device: [3, 1], mode: 'nan' }]);
    const alarms: DriftAlarm[] = [];
    for (let i = 0; i < 12; i++) {
      clock.t += 100;
      alarms.push(...detector.push(await shadow.update()));
    }
    const dead = alarms.filter((a) => a.kind === 'dead').map((a) => a.channel);
    expect(dead).toContain('BPM:1:2:X');
    expect(dead).toContain('BPM:1:2:Y');
    expect(dead).toContain('BPM:3:1:Y');
    shadow.close();
  });

  it('supplies: a stuck corrector (its setpoint moved) raises stuck and tolerance; a tripped one tolerance', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 5, toleranceUpdates: 3, stuckUpdates: 5 });
    await live.acc.family('VCM').devices([[1, 1]]).set(1);
    clock.t += 100;
    expect(detector.push(await shadow.update())).toEqual([]);
    live.twin.injectFaults([{ kind: 'stuck', family: 'HCM', device: [1, 1] }, { kind: 'trip', family: 'VCM', device: [1, 1], ramp: 0 }]);
    await live.acc.family('HCM').devices([[1, 1]]).set(0.8);
    const alarms: DriftAlarm[] = [];
    for (let i = 0; i < 6; i++) {
      clock.t += 100;
      alarms.push(...detector.push(await shadow.update()));
    }
    const of = (kind: string) => alarms.filter((a) => a.kind === kind).map((a) => a.channel);
    expect(of('stuck')).toEqual(['HCM:1:1:RB']);
    expect(of('tolerance').sort()).toEqual(['HCM:1:1:RB', 'VCM:1:1:RB']);
    // |0 - 0.8| / 0.01 and |0 - 1| / 0.01 (tolerance 1e-3 of the [-5, 5] A span).
    expect(alarms.find((a) => a.kind === 'tolerance' && a.channel === 'VCM:1:1:RB')!.size).toBeCloseTo(100, 9);
    shadow.close();
  });

  it('beam loss in the live twin (lifetime 30 s): a beam-loss alarm naming the current monitor DCCT within 3 updates, nothing else', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 100 });
    live.twin.injectFaults([{ kind: 'beam-loss', lifetime: 30 }]);
    const alarms: DriftAlarm[] = [];
    let updates = 0;
    while (updates < 10 && alarms.length === 0) {
      clock.t += 100;
      alarms.push(...detector.push(await shadow.update()));
      updates++;
    }
    console.log(`beam loss 30 s: alarm after ${updates} updates: ${alarms.map((a) => `${a.kind} ${a.channel} ${a.size.toFixed(4)} lifetime ${a.lifetime?.toFixed(1)} s`).join(', ')}`);
    expect(alarms.map((a) => [a.kind, a.channel])).toEqual([['beam-loss', 'DCCT']]);
    expect(updates).toBeLessThanOrEqual(3);
    // Fitted lifetime shorter than the default 600 s; the current still near its level (0.3 A learnt).
    expect(alarms[0].lifetime!).toBeLessThan(600);
    expect(alarms[0].size).toBeGreaterThan(0.99);
    shadow.close();
  });

  it('beam loss below currentFraction of the learnt level (lifetime threshold out of reach): the alarm at the update the current passes half its level, lifetime fitted 10 s', async () => {
    const { clock, live, shadow, detector } = await learntPair({ learn: 20, currentFraction: 0.5, minLifetime: 1 }, false);
    live.twin.injectFaults([{ kind: 'beam-loss', lifetime: 10 }]);
    let alarm: DriftAlarm | undefined;
    let updates = 0;
    while (updates < 100 && !alarm) {
      clock.t += 100;
      alarm = detector.push(await shadow.update()).find((a) => a.kind === 'beam-loss');
      updates++;
    }
    // exp(-0.1 n / 10) < 0.5 first at n = 70 (6.93 s).
    expect(updates).toBe(70);
    expect(alarm!.channel).toBe('DCCT');
    expect(alarm!.size).toBeCloseTo(Math.exp(-0.7), 9);
    expect(alarm!.lifetime!).toBeCloseTo(10, 6);
    shadow.close();
  });

  it('a noisy current monitor (1e-3 relative, one hour at 10 Hz): no beam-loss alarm; then a 30 s lifetime raises it within 10 updates', () => {
    // The detector alone on a current channel (the twin's current has no noise): the lifetime fit is judged against the learnt noise.
    const rng = new Random(11);
    const detector = new DriftDetector({ learn: 100 });
    const level = 0.3;
    let t = 1_700_000_000_000;
    const push = (v: number) => {
      t += 100;
      const measured = Float64Array.of(v);
      return detector.push({ time: t, channels: ['DCCT'], kinds: ['current'], measured, model: Float64Array.of(level), residual: Float64Array.of(v - level), applied: 0 });
    };
    let alarms = 0;
    for (let i = 0; i < 36000; i++) alarms += push(level * (1 + 1e-3 * rng.gaussian())).length;
    expect(alarms).toBe(0);
    const t0 = t;
    let raised: DriftAlarm[] = [];
    let updates = 0;
    while (updates < 10 && raised.length === 0) {
      raised = push(level * Math.exp(-(t + 100 - t0) / 1000 / 30) * (1 + 1e-3 * rng.gaussian()));
      updates++;
    }
    console.log(`noisy current: 0 alarms in one hour; lifetime 30 s: ${raised.map((a) => `${a.kind} after ${updates} updates, lifetime ${a.lifetime?.toFixed(1)} s`).join(', ')}`);
    expect(raised.map((a) => [a.kind, a.channel])).toEqual([['beam-loss', 'DCCT']]);
    expect(updates).toBeLessThanOrEqual(10);
  });

  it('thresholds from the facility file (shadow.detection); a bad one is refused naming file:line:col, field and value', () => {
    const good = thomxFacilityFile();
    appendFileSync(good, 'shadow:\n  detection:\n    k: 8\n    learn: 50\n    minLifetime: 120\n');
    expect(DriftDetector.forFacility(loadFacility(good), { alpha: 0.5 }).thresholds).toEqual({ learn: 50, k: 8, alpha: 0.5, deadUpdates: 20, toleranceUpdates: 3, stuckUpdates: 5, currentFraction: 0.5, minLifetime: 120, lifetimeUpdates: 10 });
    const bad = thomxFacilityFile();
    appendFileSync(bad, 'shadow:\n  detection:\n    k: -2\n');
    const line = readFileSync(bad, 'utf8').split('\n').findIndex((l) => l.includes('k: -2')) + 1;
    expect(() => loadFacility(bad)).toThrow(ConfigError);
    expect(() => loadFacility(bad)).toThrow(new RegExp(`${bad}:${line}:\\d+: shadow\\.detection\\.k: expected a finite number > 0 \\(got -2\\)`));
    const badFraction = thomxFacilityFile();
    appendFileSync(badFraction, 'shadow:\n  detection:\n    currentFraction: 1.5\n');
    const fractionLine = readFileSync(badFraction, 'utf8').split('\n').findIndex((l) => l.includes('currentFraction: 1.5')) + 1;
    expect(() => loadFacility(badFraction)).toThrow(new RegExp(`${badFraction}:${fractionLine}:\\d+: shadow\\.detection\\.currentFraction: expected a number in \\(0, 1\\) \\(got 1\\.5\\)`));
  });

  it('one hour of noise only at 10 Hz (simulated time): no alarm', async () => {
    // BPM, tune and beam current (DCCT) channels: the supplies (no readback noise in this twin) double the time and cannot alarm here.
    const { clock, shadow } = await pair(false);
    const detector = new DriftDetector({ learn: 100, k: 6, alpha: 0.3 });
    let alarms = 0;
    let n = 0;
    for (let i = 0; i < 36000; i++) {
      clock.t += 100;
      const u = await shadow.update();
      if (i === 0) expect(u.kinds[u.channels.indexOf('DCCT')]).toBe('current');
      n += u.channels.length;
      alarms += detector.push(u).length;
    }
    console.log(`one hour at 10 Hz: ${n} residuals, ${alarms} alarms`);
    expect(alarms).toBe(0);
    shadow.close();
  }, 300000);
});
