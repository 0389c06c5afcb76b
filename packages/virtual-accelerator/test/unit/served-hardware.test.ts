import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '@mlayer/core';
import { MemoryControlSystem } from '@mlayer/core/testing';
import { ServedHardware } from '@mlayer/virtual-accelerator';

// The hardware behaviour mlayer serve puts between the twin and the served system
// (an in-memory system stands for the twin here; the served twin itself is tested in
// serve-realistic.test.ts): averaged BPM publication, ramps, ordered latency, stopped publication.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `cond` holds (every 10 ms; fails after 10 s): no fixed window, the machine may be busy. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await sleep(10);
  }
}
let hw: ServedHardware | undefined;
afterEach(async () => {
  await hw?.close();
  hw = undefined;
});

/** A twin whose BPM reads 1, 4, 9, ... (k squared on its k-th read): a mean tells which readings it took. */
class CountingTwin extends MemoryControlSystem {
  reads = 0;
  override async read(channels: readonly string[]): Promise<Sample[]> {
    if (channels.includes('BPM:X')) {
      this.reads++;
      this.inject('BPM:X', this.reads * this.reads);
    }
    return super.read(channels);
  }
}

describe('ServedHardware', () => {
  it('each published BPM value is the mean of all the readings taken since the previous publication, none lost or counted twice', async () => {
    const twin = new CountingTwin('twin').define('BPM:X', 0);
    hw = await new ServedHardware(twin, [{ channel: 'BPM:X', family: 'BPMx', bpmRate: 20 }], { bpmSamples: 4 }).start();
    const seen: number[] = [];
    const sub = hw.monitor('BPM:X').subscribe((s) => seen.push(s.value as number));
    await until('five publications', () => seen.length >= 6);
    sub.unsubscribe();
    // seen[0] is the reading of start() (1); the clock's readings 2, 3, ... split into runs, one per publication:
    // each published value is the mean of k^2 over one run a..b, and the next run starts at b + 1.
    expect(seen[0]).toBe(1);
    let end = 1;
    let runs = 0;
    for (const m of seen.slice(1)) {
      const a = end + 1;
      let sum = 0;
      let b = a - 1;
      while (b < a + 20 && !(Math.abs(sum / (b - a + 1) - m) < 1e-9 * m)) sum += ++b * b;
      expect(Math.abs(sum / (b - a + 1) - m), `published ${m}: no run of readings from ${a} has this mean`).toBeLessThan(1e-9 * m);
      end = b;
      runs++;
    }
    expect(runs).toBeGreaterThan(1);
  });

  it('publishes each BPM value as the mean of the readings of its period: a change shows as an intermediate average, then the new value', async () => {
    const twin = new MemoryControlSystem('twin').define('BPM:X', 0);
    hw = await new ServedHardware(twin, [{ channel: 'BPM:X', family: 'BPMx', bpmRate: 20 }], { bpmSamples: 5 }).start();
    const seen: Sample[] = [];
    const sub = hw.monitor('BPM:X').subscribe((s) => seen.push(s));
    await until('two publications', () => seen.length >= 3);
    twin.inject('BPM:X', 1);
    await until('the new value published', () => seen.at(-1)!.value === 1);
    sub.unsubscribe();
    const values = seen.map((s) => s.value as number);
    // The first sample is the value at subscription; then publications: 0s, at most two intermediate averages, 1s.
    expect(values[0]).toBe(0);
    expect(values.at(-1)).toBe(1);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    const between = values.filter((v) => v > 0 && v < 1);
    expect(between.length).toBeLessThanOrEqual(2);
    // An average of n readings of 0 and 1 is k/n with n <= 5 readings per period.
    for (const v of between) expect([2, 3, 4, 5].some((n) => Math.abs(v * n - Math.round(v * n)) < 1e-12)).toBe(true);
    // Stamps are publication times, increasing.
    for (let i = 2; i < seen.length; i++) expect(seen[i].timestamp).toBeGreaterThan(seen[i - 1].timestamp);
  });

  it('a stopped BPM family publishes nothing and reads its last (stale) value; resumed, it publishes again', async () => {
    const twin = new MemoryControlSystem('twin').define('BPM:X', 0).define('BPM:Y', 0);
    hw = await new ServedHardware(twin, [
      { channel: 'BPM:X', family: 'BPMx', bpmRate: 20 },
      { channel: 'BPM:Y', family: 'BPMy', bpmRate: 20 },
    ]).start();
    await sleep(60);
    hw.stopPublication(['BPMx']);
    expect(hw.stoppedFamilies).toEqual(['BPMx']);
    const [before] = await hw.read(['BPM:X']);
    const x: Sample[] = [];
    const y: Sample[] = [];
    const subs = [hw.monitor('BPM:X').subscribe((s) => x.push(s)), hw.monitor('BPM:Y').subscribe((s) => y.push(s))];
    twin.inject('BPM:X', 5);
    twin.inject('BPM:Y', 5);
    await until('BPMy publishes the new value', () => y.length > 2 && y.at(-1)!.value === 5);
    expect(x.length).toBe(1); // the value at subscription only
    const [stale] = await hw.read(['BPM:X']);
    expect(stale).toBe(before);
    hw.resumePublication();
    await until('BPMx publishes again', () => x.length > 1 && x.at(-1)!.value === 5);
    subs.forEach((s) => s.unsubscribe());
  });

  it('a ramping supply moves its twin set point in steps no larger than rate x elapsed time, and ends on the target', async () => {
    const twin = new MemoryControlSystem('twin').define('HCM:SP', 0);
    hw = await new ServedHardware(twin, [{ channel: 'HCM:SP', family: 'HCM', setpoint: true, rampRate: 2 }]).start();
    const t0 = Date.now();
    await hw.write([{ channel: 'HCM:SP', value: 0.5 }]);
    // The write is accepted at once; the twin gets the ramp.
    expect(twin.value('HCM:SP')).toBe(0);
    while (twin.value('HCM:SP') !== 0.5 && Date.now() - t0 < 5000) await sleep(20);
    const path = twin.writes.filter((w) => w.channel === 'HCM:SP').map((w) => w.value as number);
    expect(path.at(-1)).toBe(0.5);
    expect(path.length).toBeGreaterThan(3);
    for (let i = 1; i < path.length; i++) expect(path[i]).toBeGreaterThan(path[i - 1]);
  });

  it('writes delayed by a random latency reach the twin in the order they were made', async () => {
    const twin = new MemoryControlSystem('twin').define('HCM:SP', 0);
    const draws = [0.99, 0];
    hw = await new ServedHardware(twin, [{ channel: 'HCM:SP', family: 'HCM', setpoint: true }], { latency: [0.05, 0.2], random: () => draws.shift() ?? 0 }).start();
    await hw.write([{ channel: 'HCM:SP', value: 1 }]);
    await hw.write([{ channel: 'HCM:SP', value: 2 }]);
    expect(twin.value('HCM:SP')).toBe(0);
    await until('both writes applied', () => twin.writes.length >= 2);
    expect(twin.writes.filter((w) => w.channel === 'HCM:SP').map((w) => w.value)).toEqual([1, 2]);
  });
});
