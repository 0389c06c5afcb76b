import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeFileName, timeStamp } from '../../src/index.js';

describe('measurement file names', () => {
  it('<kind>-<UTC time><ext>, -2, -3 when taken; nothing made', () => {
    const now = new Date('2026-12-05T17:40:12.345Z');
    expect(timeStamp(now)).toBe('20261205T174012Z');
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-names-'));
    const first = freeFileName(dir, 'orm', '.h5', now);
    expect(first).toEqual({ file: join(dir, 'orm-20261205T174012Z.h5'), tag: 'orm-20261205T174012Z' });
    writeFileSync(first.file, '');
    expect(freeFileName(dir, 'orm', '.h5', now).tag).toBe('orm-20261205T174012Z-2');
    writeFileSync(join(dir, 'orm-20261205T174012Z-2.h5'), '');
    expect(freeFileName(dir, 'orm', '.h5', now).tag).toBe('orm-20261205T174012Z-3');
    // A folder name (no extension) the same way.
    expect(freeFileName(dir, 'chromaticity', '', now).file).toBe(join(dir, 'chromaticity-20261205T174012Z'));
  });
});
