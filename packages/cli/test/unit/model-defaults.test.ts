/**
 * The model commands without --lattice use the facility's lattice and the elements of
 * its BPM and corrector families (issue 17: the default selector 'class:Monitor' found
 * 2 of the 173 BPMs of the demo facility).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';

describe('mlayer model with the facility defaults (demo facility diamond-i04)', () => {
  it('optics and orm without --lattice: the facility lattice, its 173 BPMs and its HSTR/VSTR correctors; --bpms overrides', async () => {
    const r = await runCli(['--json', 'model', 'orm']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { lattice: string; bpms: { index: number }[]; bpmFamilies: string[]; correctors: number[]; Rxx: number[][] };
    expect(out.lattice).toMatch(/facilities\/diamond-i04\/I04_source\.mat$/);
    expect(out.bpmFamilies).toEqual(['BPMx', 'BPMy']);
    expect(out.bpms).toHaveLength(173);
    expect(out.Rxx).toHaveLength(173);
    // HSTR and VSTR (172 each) sit on 178 distinct elements.
    expect(out.correctors).toHaveLength(178);
    const monitors = JSON.parse((await runCli(['--json', 'model', 'optics', '--bpms', 'class:Monitor'])).stdout) as { bpms: unknown[] };
    expect(monitors.bpms).toHaveLength(2);
  });
});
