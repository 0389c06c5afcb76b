/**
 * The twin's state file keeps injected faults (issue 24): on a twin that cannot inject faults
 * (core's example ring, whose setpoints are restored through it) a file holding faults is
 * refused naming them, nothing restored (never dropped silently); one without restores.
 * The adapters-sim twin restoring them: packages/cli/test/system/twin-faults-server.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ringAccelerator } from '../../../core/test/helpers.js';
import { TwinState, type TwinStateFile } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('twin state file', () => {
  it('restores the setpoints of a file without faults; on a twin without faults refuses one with faults, naming them, and restores nothing', async () => {
    const { acc } = await ringAccelerator('sim', true);
    await acc.family('HCM').set([1, 2, 0.5, 0], { wait: true });
    const state: TwinStateFile = { version: 1, seed: null, errors: null, snapshot: await acc.snapshot() };
    await acc.family('HCM').set(0, { wait: true });
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ ...state, faults: [] }));
    expect(await new TwinState(acc, plain).restore()).toBe(true);
    expect(Array.from(await acc.family('HCM').get({ field: 'setpoint' }))).toEqual([1, 2, 0.5, 0]);
    await acc.family('HCM').set(0, { wait: true });
    const faulty = join(dir, 'faulty.json');
    writeFileSync(faulty, JSON.stringify({ ...state, faults: [{ kind: 'bpm-stuck', device: [1, 1] }, { kind: 'supply-trip' }] }));
    await expect(new TwinState(acc, faulty).restore()).rejects.toThrow(`${faulty}: faults: 2 injected faults (bpm-stuck, supply-trip); this twin cannot inject faults; nothing was restored`);
    expect(Array.from(await acc.family('HCM').get({ field: 'setpoint' }))).toEqual([0, 0, 0, 0]);
    await acc.close();
  });
});
