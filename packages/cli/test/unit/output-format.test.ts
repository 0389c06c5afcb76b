/**
 * The CLI's number formatting and progress lines (issue 17 item 4): units chosen for the
 * magnitude, frequencies to 0.01 Hz, typed arrays as JSON arrays, and progress without a
 * terminal as a line every 10 % with the elapsed and remaining time.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { displayUnit, formatChange, formatInUnit, formatQuantity, formatter } from '@mlayer/core';
import { runCli } from '../in-process-cli.js';
import { toJson } from '../../src/format/json.js';
import { formatDuration, progressReporter } from '../../src/progress.js';

describe('units chosen for the magnitude', () => {
  it('lengths, angles, currents and frequencies get the prefix of their magnitude', () => {
    expect(formatQuantity(1.2e-4, 'm')).toBe('120.0 µm');
    expect(formatQuantity(1.4577e-3, 'm')).toBe('1.458 mm');
    expect(formatQuantity(0.12, 'mm')).toBe('120.0 µm');
    expect(formatQuantity(2.5e-5, 'rad')).toBe('25.00 µrad');
    expect(formatQuantity(3.2e-3, 'rad')).toBe('3.200 mrad');
    expect(formatQuantity(0.128, 'A')).toBe('128.0 mA');
    expect(formatQuantity(2.5, 'A')).toBe('2.500 A');
    expect(formatQuantity(5e-9, 'm/Hz')).toBe('5.000 nm/Hz');
    // Frequencies: the unit of the magnitude, always to 0.01 Hz.
    expect(formatQuantity(499654321.1234, 'Hz')).toBe('499.65432112 MHz');
    expect(formatQuantity(499.6543211234, 'MHz')).toBe('499.65432112 MHz');
    expect(formatQuantity(1234.5678, 'Hz')).toBe('1.23457 kHz');
    expect(formatQuantity(12.3456, 'Hz')).toBe('12.35 Hz');
    // Not a prefixable unit: significant digits, the unit as given.
    expect(formatQuantity(-3.0446374, 'm^-2')).toBe('-3.045 m^-2');
    expect(formatQuantity(2.5e-8, 'm^-2')).toBe('2.500e-8 m^-2');
    expect(formatQuantity(0, 'm')).toBe('0.000 m');
    // Below the smallest prefix: exponent form in it.
    expect(formatQuantity(6.33e-20, 'm')).toBe('6.330e-11 nm');
  });

  it('one unit for a whole column, chosen by its largest value; a change in the unit of each side', () => {
    expect(displayUnit('m', [1e-5, -3e-4, Number.NaN])).toEqual({ unit: 'µm', factor: 1e6 });
    const f = formatter('m', [2e-3, 1e-5]);
    expect([f.unit, f.number(2e-3), f.number(1e-5)]).toEqual(['mm', '2.000', '0.010']);
    expect(formatChange(1.458e-3, 3.346e-5, 'm')).toBe('1.458 mm -> 33.46 µm');
  });

  it('a setpoint kept in its unit: 8 digits, a frequency to 0.01 Hz; mlayer get RF prints 0.01 Hz', async () => {
    expect(formatInUnit(499679912.345, 'Hz')).toBe('499679912.35');
    expect(formatInUnit(499.6799123456, 'MHz')).toBe('499.67991235');
    expect(formatInUnit(0.123456789, 'A')).toBe('0.12345679');
    const r = await runCli(['get', 'RF']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^device\s+name\s+RF \(MHz\)$/m);
    expect(r.stdout).toMatch(/^16,1\s+LI-RF-MOSC-01\s+\d{3}\.\d{8}$/m);
  });

  it('--json writes typed arrays as arrays', () => {
    const text = toJson({ a: Float64Array.of(1.5, 2), b: { c: Int32Array.of(3) }, d: [Float32Array.of(0.5)], n: Number.NaN });
    expect(JSON.parse(text)).toEqual({ a: [1.5, 2], b: { c: [3] }, d: [[0.5]], n: null });
    expect(text).not.toContain('"0":');
  });
});

describe('progress without a terminal', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    return { lines, stream };
  };

  it('writes a line every 10 % with the elapsed and remaining time, and the last step', () => {
    const { lines, stream } = capture();
    let t = 1_000_000;
    const p = progressReporter({ enabled: true, tty: false, stream, now: () => t });
    for (let step = 0; step <= 40; step++) {
      p.onProgress({ name: 'orbit response matrix', step, total: 40, message: step === 40 ? 'done measuring' : '' });
      t += 1500;
    }
    p.stop();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('orbit response matrix: 0 % (0/40), elapsed 0 s, remaining ~?\n');
    // 4 steps of 1.5 s: 6 s elapsed, 36 steps (54 s) left.
    expect(lines[1]).toBe('orbit response matrix: 10 % (4/40), elapsed 6 s, remaining ~54 s\n');
    expect(lines[5]).toBe('orbit response matrix: 50 % (20/40), elapsed 30 s, remaining ~30 s\n');
    expect(lines[10]).toBe('orbit response matrix: 100 % (40/40), elapsed 1 min 00 s, done: done measuring\n');
  });

  it('restarts its clock for the next measurement, and is silent when disabled (--json)', () => {
    const { lines, stream } = capture();
    let t = 0;
    const p = progressReporter({ enabled: true, tty: false, stream, now: () => t });
    p.onProgress({ name: 'a', step: 1, total: 1, message: '' });
    t = 90_000;
    p.onProgress({ name: 'b', step: 1, total: 2, message: '' });
    expect(lines).toEqual(['a: 100 % (1/1), elapsed 0 s, done\n', 'b: 50 % (1/2), elapsed 0 s, remaining ~?\n']);
    const quiet = capture();
    progressReporter({ enabled: false, stream: quiet.stream }).onProgress({ name: 'a', step: 1, total: 1, message: '' });
    expect(quiet.lines).toEqual([]);
    expect([formatDuration(45_000), formatDuration(245_000), formatDuration(3_720_000)]).toEqual(['45 s', '4 min 05 s', '1 h 02 min']);
  });
});
