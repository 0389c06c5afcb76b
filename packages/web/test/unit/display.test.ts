import { describe, expect, it } from 'vitest';
import { modeLabel, nearSaturation, orbitStats, resonanceLines } from '../../src/display.js';

const has = (segments: [number, number][][], a: [number, number], b: [number, number]): boolean =>
  segments.some(([p, q]) => {
    const same = (u: [number, number], v: [number, number]): boolean => Math.abs(u[0] - v[0]) < 1e-12 && Math.abs(u[1] - v[1]) < 1e-12;
    return (same(p, a) && same(q, b)) || (same(p, b) && same(q, a));
  });

describe('web display helpers', () => {
  it('mode label: a twin is TWIN, an online mode LIVE, a replay REPLAY', () => {
    expect(modeLabel('twin', false)).toBe('TWIN');
    expect(modeLabel('epics', true)).toBe('LIVE');
    expect(modeLabel('replay', false)).toBe('REPLAY');
  });

  it('orbit statistics leave out disabled BPMs and NaN readings', () => {
    const s = orbitStats([3, -4, NaN, 100], [true, true, true, false]);
    expect(s).toEqual({ rms: Math.sqrt(12.5), max: 4, n: 2 });
    expect(orbitStats([NaN], [true]).n).toBe(0);
  });

  it('near saturation: past the fraction of the half range from the centre, either side', () => {
    expect(nearSaturation(4.5, [-5, 5], 0.9)).toBe(true);
    expect(nearSaturation(4.49, [-5, 5], 0.9)).toBe(false);
    expect(nearSaturation(-4.6, [-5, 5], 0.9)).toBe(true);
    expect(nearSaturation(4.6, null, 0.9)).toBe(false);
  });

  it('resonance lines: the lines m qx + n qy = p of each order inside the unit square', () => {
    const o1 = resonanceLines(1);
    expect(o1).toHaveLength(4); // qx = 0, 1 and qy = 0, 1
    const o3 = resonanceLines(3);
    expect(has(o3, [1 / 3, 0], [1 / 3, 1])).toBe(true); // 3 qx = 1
    expect(has(o3, [0, 0.5], [1, 0])).toBe(true); // qx + 2 qy = 1
    expect(has(o3, [0, 0.5], [1, 1])).toBe(true); // qx - 2 qy = -1
    for (const order of [1, 2, 3, 4, 5])
      for (const seg of resonanceLines(order)) for (const [x, y] of seg) expect(x >= -1e-12 && x <= 1 + 1e-12 && y >= -1e-12 && y <= 1 + 1e-12).toBe(true);
    // Order 5 holds 5 qx = 1..4 (vertical lines at k/5).
    for (const k of [1, 2, 3, 4]) expect(has(resonanceLines(5), [k / 5, 0], [k / 5, 1])).toBe(true);
  });
});
