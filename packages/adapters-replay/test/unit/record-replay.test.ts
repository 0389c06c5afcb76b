/**
 * The recorder and ReplayControlSystem on core's in-memory control system: every value
 * form comes back bit for bit (NaN, -0, infinities, waveforms, strings), with timestamp,
 * severity and status; monitors replay their updates in order; a write of another value,
 * an extra channel, a call of another kind or after the end fails with the difference;
 * speed 1 keeps the recorded pace, 'max' does not wait; the recorder is a proxy that
 * keeps what the wrapped control system offers beyond the port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ControlSystem, MlayerError, type Sample, TimeoutError, WriteRejectedError } from '@mlayer/core';
import { MemoryControlSystem } from '@mlayer/core/testing';
import { decodeSample, encodeSample, RecordingFile, ReplayControlSystem, ReplayMismatchError, readRecording, recordControlSystem } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-replay-'));
let files = 0;
const fileName = (): string => join(dir, `rec-${files++}.jsonl`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function memory(): MemoryControlSystem {
  return new MemoryControlSystem('twin')
    .define('A', 1.5)
    .define('B', Number.NaN)
    .define('C', -0)
    .define('W', new Float64Array([1e-300, -Infinity, Math.PI, NaN, -0]))
    .define('S', 'ON')
    .define('SP', 0, { readbacks: ['RB'], limits: [-1, 1] })
    .define('RB', 0);
}

/**
 * A short session on `cs` (the recorder or a replay): reads, a monitor with two updates,
 * writes; one rejected, as core's class with its channel and message (a replay gives it again).
 */
async function session(cs: ControlSystem): Promise<{ reads: Sample[][]; updates: Sample[] }> {
  const reads: Sample[][] = [];
  const updates: Sample[] = [];
  const sub = cs.monitor('RB').subscribe((s) => updates.push(s));
  reads.push(await cs.read(['A', 'B', 'C', 'W', 'S']));
  await cs.write([{ channel: 'SP', value: 0.25 }], { wait: true });
  reads.push(await cs.read(['RB']));
  const rejected = (await cs.write([{ channel: 'SP', value: 5 }]).catch((e: unknown) => e)) as WriteRejectedError;
  expect(rejected).toBeInstanceOf(WriteRejectedError);
  expect([rejected.channel, rejected.message]).toEqual(['SP', "write to 'SP' rejected: value 5 outside the server limits [-1, 1]"]);
  await cs.write([{ channel: 'SP', value: -0.5 }], { wait: true });
  sub.unsubscribe();
  await cs.close();
  return { reads, updates };
}

/** Records the session into `file`, each write taking `delayMs`. */
async function recordSession(file: string, delayMs = 0): Promise<{ reads: Sample[][]; updates: Sample[] }> {
  const inner = memory();
  inner.writeDelayMs = delayMs;
  return session(recordControlSystem(inner, new RecordingFile(file), { facility: { name: 'test', sha256: 'abc' }, mode: 'twin', software: { test: '1' } }));
}

describe('record and replay', () => {
  it('replays every read and update bit for bit, with timestamp, severity and status', async () => {
    const file = fileName();
    const recorded = await recordSession(file);
    const rec = readRecording(file);
    expect(rec.header.format).toBe('mlayer-recording');
    expect(rec.header.facility?.sha256).toBe('abc');
    expect(rec.header.controlSystem).toEqual({ name: 'twin', online: false, immediate: true });
    expect(rec.events.filter((e) => e.k === 'write')).toHaveLength(3);
    const replayed = await session(new ReplayControlSystem(rec, { speed: 'max' }));
    expect(replayed.reads).toEqual(recorded.reads);
    expect(Object.is(replayed.reads[0][2].value, -0)).toBe(true);
    expect(Number.isNaN(replayed.reads[0][1].value)).toBe(true);
    expect(replayed.reads[0][3].value).toBeInstanceOf(Float64Array);
    expect(Array.from(replayed.reads[0][3].value as Float64Array)).toEqual([1e-300, -Infinity, Math.PI, NaN, -0]);
    expect(Object.is((replayed.reads[0][3].value as Float64Array)[4], -0)).toBe(true);
    // Every line is the JSON of what it holds as JSON.stringify writes it (the update lines are built by hand).
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('{"k":"update"'))).toHaveLength(3);
    for (const l of lines) expect(JSON.stringify(JSON.parse(l))).toBe(l);
    // The monitor: the value on subscription and the two written readbacks, in order, with their timestamps.
    expect(recorded.updates.map((s) => s.value)).toEqual([0, 0.25, -0.5]);
    expect(replayed.updates).toEqual(recorded.updates);
  });

  it('a write of another value, an extra corrector, a read for a write and a call past the end fail with the difference', async () => {
    const file = fileName();
    await recordSession(file);
    const start = async (): Promise<ReplayControlSystem> => {
      const cs = ReplayControlSystem.fromFile(file, { speed: 'max' });
      await cs.read(['A', 'B', 'C', 'W', 'S']);
      return cs;
    };
    let cs = await start();
    await expect(cs.write([{ channel: 'SP', value: 0.2500000001 }])).rejects.toThrow(`replay of ${file}: call 2: the write differs from the recording: SP: expected 0.25, actual 0.2500000001`);
    // The session has left the recording: every later call fails with the same difference.
    await expect(cs.read(['RB'])).rejects.toThrow(/SP: expected 0\.25, actual 0\.2500000001/);
    expect(cs.mismatch).toBeInstanceOf(ReplayMismatchError);
    expect(cs.mismatch).toBeInstanceOf(MlayerError);

    cs = await start();
    await expect(
      cs.write([
        { channel: 'SP', value: 0.25 },
        { channel: 'SP2', value: 0.1 },
      ]),
    ).rejects.toThrow(/the write differs from the recording: SP2: not in the recorded write, actual 0\.1$/);

    cs = await start();
    await expect(cs.read(['RB'])).rejects.toThrow(/call 2: expected a write of SP = 0\.25, actual a read of 1 channel \(RB\)/);

    cs = await start();
    await expect(cs.read(['A', 'B'])).rejects.toThrow(/call 2: expected a write of SP = 0\.25, actual a read/);

    const whole = ReplayControlSystem.fromFile(file, { speed: 'max' });
    await session(whole);
    expect(whole.remaining).toBe(0);
    await expect(whole.write([{ channel: 'SP', value: 0 }])).rejects.toThrow(/call 6: a write of SP = 0, after the end of the recording \(5 calls recorded\)/);

    // Another read than the one recorded names the first channel that differs.
    const other = ReplayControlSystem.fromFile(file, { speed: 'max' });
    await expect(other.read(['A', 'B', 'X', 'W', 'S'])).rejects.toThrow(/the read differs from the recording: channel 3: expected C, actual X/);
    // A monitor subscription the recording does not have.
    const mon = ReplayControlSystem.fromFile(file, { speed: 'max' });
    const errors: unknown[] = [];
    mon.monitor('A').subscribe({ error: (e: unknown) => errors.push(e) });
    expect(String(errors[0])).toMatch(/monitor of A: subscription 1 is not in the recording \(0 recorded\)/);
  });

  it('speed 1 keeps the recorded pace, 10 a tenth of it, max does not wait; an abort ends a wait', async () => {
    const file = fileName();
    await recordSession(file, 60);
    const rec = readRecording(file);
    const last = rec.events.filter((e) => e.k === 'write').at(-1) as { d: number };
    expect(last.d).toBeGreaterThanOrEqual(120);
    const timed = async (speed: number | 'max'): Promise<number> => {
      const t0 = performance.now();
      await session(new ReplayControlSystem(rec, { speed }));
      return performance.now() - t0;
    };
    expect(await timed(1)).toBeGreaterThanOrEqual(last.d - 2);
    const ten = await timed(10);
    expect(ten).toBeGreaterThanOrEqual(last.d / 10 - 2);
    expect(ten).toBeLessThan(last.d / 2);
    expect(await timed('max')).toBeLessThan(last.d / 2);
    // An abort (Ctrl-C) ends a paced wait at once, with the signal's reason.
    const paced = new ReplayControlSystem(rec, { speed: 1 });
    paced.monitor('RB').subscribe(() => undefined);
    await paced.read(['A', 'B', 'C', 'W', 'S']);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new MlayerError('interrupted')), 5);
    const t0 = performance.now();
    await expect(paced.write([{ channel: 'SP', value: 0.25 }], { wait: true, signal: ac.signal })).rejects.toThrow('interrupted');
    expect(performance.now() - t0).toBeLessThan(50);
    await paced.close();
  });

  it('the recorder keeps what the wrapped control system offers beyond the port; clock readings replay in order; bad files are named', async () => {
    const inner = memory();
    const cs = recordControlSystem(inner, new RecordingFile(fileName()), { software: {} });
    cs.inject('A', 2);
    expect(cs.has('A')).toBe(true);
    expect(cs.value('A')).toBe(2);
    expect(cs instanceof MemoryControlSystem).toBe(true);
    await cs.close();

    // The client's clock: its recorded readings come back in order, then the last one plus the time since.
    const clocked = fileName();
    const rc = recordControlSystem(memory(), new RecordingFile(clocked), { software: {} });
    rc.recordClockReading(1000.5);
    await rc.read(['A']);
    const timeout = await rc.read(['NOPE'], { timeout: 25 }).catch((e: unknown) => e);
    rc.recordClockReading(2000.25);
    await rc.close();
    const replayed = ReplayControlSystem.fromFile(clocked, { speed: 'max' });
    expect(replayed.clock.now()).toBe(1000.5);
    await replayed.read(['A']);
    // Core's control-system errors come back as their classes (tools retry a timeout, not a rejected write), with the message.
    const again = await replayed.read(['NOPE']).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(again).toBeInstanceOf(TimeoutError);
    expect((again as TimeoutError).message).toBe((timeout as TimeoutError).message);
    expect([(again as TimeoutError).channel, (again as TimeoutError).timeoutMs]).toEqual(['NOPE', 25]);
    expect(replayed.clock.now()).toBe(2000.25);
    const after = replayed.clock.now();
    expect(after).toBeGreaterThanOrEqual(2000.25);
    expect(after).toBeLessThan(2000.25 + 1000);

    // A sample's timestamp and connection come back as well, NaN and infinities included (plain JSON writes them as null).
    for (const timestamp of [NaN, Infinity, -Infinity, 1765000000.123456]) {
      const s: Sample = { value: -0, timestamp, severity: 3, status: 'DISCONNECTED', connected: false };
      expect(decodeSample(JSON.parse(JSON.stringify(encodeSample(s))))).toEqual(s);
    }

    // Lines past the file's 1 MB block, one longer than a block, characters of 2 and 4 bytes: the file holds them as given.
    const big = fileName();
    const sink = new RecordingFile(big);
    const lines = Array.from({ length: 3000 }, (_, i) => `{"i":${i},"s":"${'ρ😀'.repeat(100)}"}`);
    lines.splice(1500, 0, `"${'x'.repeat(1_200_000)}"`);
    for (const l of lines) sink.append(l);
    sink.close();
    expect(readFileSync(big, 'utf8')).toBe(lines.map((l) => `${l}\n`).join(''));

    const existing = fileName();
    writeFileSync(existing, 'x');
    expect(() => new RecordingFile(existing)).toThrow(`recording ${existing}: the file exists (it is never written over; remove it or choose another name)`);
    expect(readFileSync(existing, 'utf8')).toBe('x');
    expect(() => readRecording(existing)).toThrow(`recording ${existing}:1: Unexpected token`);
    writeFileSync(existing, '{"format":"mlayer-recording","version":1}\n{"k":"jump"}\n');
    expect(() => readRecording(existing)).toThrow(`recording ${existing}:2: event kind "jump" is not one of read, write, subscribe, update, unsubscribe, clock`);
  });
});
