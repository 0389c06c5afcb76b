import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Accelerator, Family } from '@mlayer/core';
import { correctOrbit, measureOrm, type OrbitResponseMatrix } from '@mlayer/orbit';
import { expandErrorGroups } from '@mlayer/adapters-sim';
import { openEpicsMode } from '../serve-epics-fixture.js';
import { openMode } from '../serve-fixture.js';
import { DEMO_ERRORS, DIAMOND, checkBuilt, cpuHog, spawnMlayer, straysAfter, type ServeProcess } from '../serve-process.js';

// The demo facility (Diamond I04 with the demo error set, seed 1) served by `mlayer serve`
// as its own process with a real machine's timing: BPMs published at 10 Hz, each the
// average of the twin's orbit over the period; set points reaching the supplies after a
// random 0.2-0.5 s; supplies ramping; a CPU hog process beside. Over EPICS (softIoc) and
// over TANGO (device servers, private database), at the same time:
// - the response matrix of 20 correctors per plane equals, column by column, the one
//   measured in-process on the same errored twin, within the BPM noise;
// - orbit correction ends at the in-process residual; then, a corrector kicked, fed a
//   matrix with that column's sign flipped, it reports no convergence and leaves the
//   orbit no worse;
// - with BPM publication stopped on the server (SIGUSR1), a measurement step fails
//   with an error naming the BPM family, and the corrector is restored.

const SEED = 1;
/** BPM noise of the demo error set, m rms per reading (examples/demo-errors.yaml). */
const BPM_NOISE = 1e-6;
/** Half-step of the ORM measurement, rad. */
const KICK = 1e-5;
/** Correctors per plane measured (evenly spread over the 172 of each plane). */
const N_COR = 20;
const FAMILIES = 'BPMx,BPMy,HSTR,VSTR';
/** 10 Hz BPM averages, 0.2-0.5 s random latency, steerer supplies ramping at 1 A/s (an ORM step of 0.05 A takes 50 ms). */
const TIMING = ['--bpm-rate', '10', '--bpm-samples', '5', '--latency', '0.2-0.5', '--ramp-rate', '1', '--put-callback-delay', '0.05'];

const dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-realistic-'));
const spec = parse(readFileSync(DEMO_ERRORS, 'utf8')) as Record<string, unknown>;
let hog: ReturnType<typeof cpuHog> | undefined;
let reference: Accelerator;
let refOrm: OrbitResponseMatrix;
let refOrmMs = 0;
const servers: ServeProcess[] = [];

const subset = (fam: Family): Family => fam.devices(Array.from({ length: N_COR }, (_v, i) => fam.deviceList[Math.round((i * fam.size) / N_COR)]));
const selection = (acc: Accelerator) => ({ correctors: { x: subset(acc.family('HSTR')), y: subset(acc.family('VSTR')) } });
const rms = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0) / v.length);

/** Waits until the readback of a one-device selection is within 1 mA of its set point, then for two BPM periods (0.2 s) more. */
async function readbackReached(one: Family): Promise<void> {
  const [sp] = await one.get({ field: 'setpoint' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [rb] = await one.get({ field: 'readback' });
    if (Math.abs(rb - sp) < 1e-3) break;
    if (Date.now() > deadline) throw new Error(`${one.name} ${one.names[0]}: readback ${rb} did not reach the set point ${sp} within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 250));
}

async function errored(): Promise<Accelerator> {
  const acc = await openEpicsMode(DIAMOND, 'twin');
  acc.twin.applyErrors(expandErrorGroups(acc.facility.config, spec), SEED);
  return acc;
}

/** Starts `mlayer serve` with the realistic timing; resolves with the process and its overlay. */
async function serve(protocol: 'epics' | 'tango'): Promise<{ p: ServeProcess; overlay: string; ms: number }> {
  const t0 = Date.now();
  const p = spawnMlayer(['--json', '--facility', DIAMOND, 'serve', '--protocol', protocol, '--errors', DEMO_ERRORS, '--seed', String(SEED), '--families', FAMILIES, ...TIMING, '--overlay', join(dir, `diamond.${protocol}.yaml`)]);
  servers.push(p);
  const summary = JSON.parse(await p.line(/^\{.*"overlay"/, 400_000)) as { overlay: string };
  return { p, overlay: summary.overlay, ms: Date.now() - t0 };
}

/**
 * Column by column, the served matrix against the in-process one: z = difference over its
 * standard deviation, for a reading noise of at most BPM_NOISE on both sides (a served
 * reading averages 1 to 5 twin readings: its noise is BPM_NOISE/sqrt(5) to BPM_NOISE).
 */
function columnStats(a: OrbitResponseMatrix, b: OrbitResponseMatrix): { block: string; column: number; rmsZ: number; maxZ: number }[] {
  const sigma = Math.sqrt(2 * BPM_NOISE ** 2) * Math.SQRT2 / (2 * KICK);
  const out: { block: string; column: number; rmsZ: number; maxZ: number }[] = [];
  for (const block of ['Rxx', 'Ryx', 'Rxy', 'Ryy'] as const) {
    const ma = a[block]!;
    const mb = b[block]!;
    for (let j = 0; j < ma[0].length; j++) {
      const z = ma.map((row, i) => (row[j] - mb[i][j]) / sigma);
      out.push({ block, column: j, rmsZ: rms(z), maxZ: Math.max(...z.map(Math.abs)) });
    }
  }
  return out;
}

beforeAll(async () => {
  checkBuilt();
  hog = cpuHog();
  reference = await errored();
  const t0 = Date.now();
  refOrm = await measureOrm(reference, { kick: KICK, units: 'physics', average: 1, ...selection(reference) });
  refOrmMs = Date.now() - t0;
}, 600_000);

afterAll(async () => {
  hog?.stop();
  await reference?.close();
  for (const p of servers) {
    await p.stop();
    expect(await straysAfter(p.tag)).toEqual([]);
  }
});

describe.concurrent('the demo facility served with realistic timing and a CPU hog beside', () => {
  for (const protocol of ['epics', 'tango'] as const) {
    it(`${protocol}: ORM equals the in-process one column by column within the noise; correction matches in-process, a wrong matrix is refused; stopped BPMs fail the step`, async () => {
      const { p, overlay, ms } = await serve(protocol);
      const live = protocol === 'epics' ? await openEpicsMode(overlay, 'epics') : await openMode(overlay, 'tango');
      try {
        // 1. The response matrix.
        const t0 = Date.now();
        const orm = await measureOrm(live, { kick: KICK, units: 'physics', average: 1, ...selection(live) });
        const tOrm = Date.now() - t0;
        const stats = columnStats(orm, refOrm);
        const worst = stats.reduce((w, s) => (s.rmsZ > w.rmsZ ? s : w));
        const worstMax = stats.reduce((w, s) => (s.maxZ > w.maxZ ? s : w));
        const scale = rms(refOrm.Rxx!.map((r) => r[0]));
        console.log(
          `${protocol}: served in ${ms} ms; ORM of ${2 * N_COR} correctors ${tOrm} ms (in-process ${refOrmMs} ms); ` +
            `per column rms z (difference / its noise): median ${stats.map((s) => s.rmsZ).sort((a, b) => a - b)[stats.length >> 1].toFixed(2)}, worst ${worst.rmsZ.toFixed(2)} (${worst.block} column ${worst.column}); largest |z| ${worstMax.maxZ.toFixed(2)} (${worstMax.block} column ${worstMax.column}); column scale ${scale.toFixed(1)} m/rad`,
        );
        // 173 BPMs: the rms of 173 unit normals is 1 +- 0.054; the bound 1.3 is 5.5 of those above 1, and a
        // stale or mixed reading gives z of order (column / noise) = 100.
        for (const s of stats) {
          expect(s.rmsZ, `${protocol} ${s.block} column ${s.column}`).toBeLessThan(1.3);
          expect(s.maxZ, `${protocol} ${s.block} column ${s.column}`).toBeLessThan(5.5);
        }

        // 2. The same correction as in-process, with the in-process matrix. Two steps: a third one of this
        // 40-corrector subset sits at its floor (predicted y 129.8 -> 125.5 um), where the served machine's timing
        // under the CPU hog decides its sign (a CI run measured +1.5 um and undid it as 'diverged').
        const twin = await errored();
        try {
          const options = { orm: refOrm, iterations: 2, method: { type: 'svd' as const, threshold: 1e-3 } };
          const a = await correctOrbit(twin, { ...options, ...selection(twin) });
          const b = await correctOrbit(live, { ...options, ...selection(live) });
          for (const plane of ['x', 'y'] as const) {
            console.log(`${protocol}: correction ${plane}: rms ${b.rmsInitial[plane]!.toExponential(3)} -> ${b.rmsFinal[plane]!.toExponential(3)} m served, in-process ${a.rmsInitial[plane]!.toExponential(3)} -> ${a.rmsFinal[plane]!.toExponential(3)} m; ${b.message}`);
            expect(['converged', 'improved']).toContain(b.status);
            expect(b.rmsFinal[plane]!).toBeLessThan(b.rmsInitial[plane]! / 2);
            expect(Math.abs(b.rmsFinal[plane]! - a.rmsFinal[plane]!)).toBeLessThan(3 * BPM_NOISE);
          }
        } finally {
          await twin.close();
        }

        // 3. A correction fed a matrix with one column's sign flipped, from an orbit that this column
        // explains: kick one corrector of the subset; the wrong solution doubles the bump.
        const hstr = subset(live.family('HSTR'));
        const j = 7;
        const one = hstr.devices([hstr.deviceList[j]]);
        const x0 = await live.family('BPMx').get({ units: 'physics' });
        const bump = 5e-5;
        await one.step(bump, { units: 'physics', wait: true });
        // The put completes before the supply has the new value (latency): wait for the readback, then for new BPM averages.
        await readbackReached(one);
        const flipped: OrbitResponseMatrix = { ...refOrm, Rxx: refOrm.Rxx!.map((r) => r.map((v, k) => (k === j ? -v : v))), Ryx: refOrm.Ryx!.map((r) => r.map((v, k) => (k === j ? -v : v))) };
        const wrong = await correctOrbit(live, { orm: flipped, planes: ['x'], iterations: 3, method: { type: 'svd', threshold: 1e-3 }, ...selection(live) });
        const found = wrong.rmsInitial.x!;
        const left = wrong.rmsFinal.x!;
        console.log(`${protocol}: flipped column: rms x ${found.toExponential(2)} -> ${left.toExponential(2)} m; ${wrong.message}`);
        expect(['diverged', 'no improvement']).toContain(wrong.status);
        expect(wrong.message).toMatch(/diverged|no improvement/i);
        expect(wrong.message).not.toMatch(/\bconverged\b/i);
        // No worse than found: within the noise of two rms readings of 173 BPMs.
        expect(left).toBeLessThan(found + 3 * BPM_NOISE);
        await one.step(-bump, { units: 'physics', wait: true });
        await readbackReached(one);

        // 4. BPM publication stopped on the server: the step fails naming the BPM family, and restores.
        const before = await one.get({ field: 'setpoint' });
        process.kill(p.pid, 'SIGUSR1');
        await new Promise((r) => setTimeout(r, 500));
        const t1 = Date.now();
        const outcome = await measureOrm(live, { kick: KICK, units: 'physics', average: 1, freshTimeout: 3000, planes: 'x', correctors: { x: one } }).then(
          () => 'completed',
          (e: unknown) => `failed: ${(e as Error).message}`,
        );
        console.log(`${protocol}: with BPM publication stopped: ${outcome.slice(0, 300)} (${Date.now() - t1} ms)`);
        expect(outcome).toMatch(/^failed: .*BPM[xy]/);
        expect(outcome).toMatch(/fresh|stale|old/i);
        process.kill(p.pid, 'SIGUSR1');
        expect(Array.from(await one.get({ field: 'setpoint' }))).toEqual(Array.from(before));
      } finally {
        await live.close();
      }
    }, 600_000);
  }
});
