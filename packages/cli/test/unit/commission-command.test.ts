import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, readStageFiles } from '@mlayer/commissioning';
import { stringify } from 'yaml';
import { threadingFacilityFile } from '../../../tuning-tools/orbit/test/threading-fixture.js';
import { runCli } from '../in-process-cli.js';
import { writeErrors, writeSequence, writeThomxFacility } from '../../../tuning-tools/commissioning/test/study-fixture.js';

describe('mlayer commission (ThomX twin)', () => {
  it('run refuses a malformed sequence before anything is created, naming file, line, field and value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir);
    const seq = join(dir, 'bad.yaml');
    writeFileSync(seq, ['name: bad', 'beam: stored', 'stages:', '  - stage: orbit-correction', '    parameters: { iterations: many }', '  - stage: lcoo'].join('\n'));
    const study = join(dir, 'study');
    const r = await runCli(['-f', facility, 'commission', 'run', study, '--sequence', seq, '--seeds', '1-2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${seq}:5:`);
    expect(r.stderr).toContain('stages[0].parameters.iterations');
    expect(r.stderr).toContain('"many"');
    expect(r.stderr).toContain(`${seq}:6:`);
    expect(r.stderr).toContain('stages[1].stage');
    expect(existsSync(study)).toBe(false);
    // A missing error set is named, and nothing is written either.
    const good = writeSequence(dir);
    const missing = await runCli(['-f', facility, 'commission', 'run', study, '--sequence', good, '--errors', join(dir, 'no-errors.yaml'), '--seeds', '1-2']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`the error set file ${join(dir, 'no-errors.yaml')} does not exist (nothing was written)`);
    expect(existsSync(study)).toBe(false);
  });

  it('live --no-confirm runs the sequence on the machine of --mode stage by stage and records it as a seed (the twin of an error file here)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir, { errors: writeErrors(dir), seed: 3 });
    const seq = writeSequence(dir, ['name: live', 'beam: stored', 'stages:', '  - stage: orbit-correction', '    parameters: { iterations: 3 }', '  - stage: figures'].join('\n'));
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2/2 stages reached');
    const stages = readStageFiles(out);
    expect(stages.map((s) => s.record.name)).toEqual(['orbit-correction', 'figures']);
    expect(existsSync(join(out, 'result.json'))).toBe(true);
    const first = stages[0].record;
    expect(first.header.seed).toBe(3);
    expect(first.success).toBe(true);
    // The correction lowered the true orbit the twin knows.
    const initial = JSON.parse((await import('node:fs')).readFileSync(join(out, 'initial.json'), 'utf8')).figures;
    expect(first.figures.orbit_true_rms_x).toBeLessThan(initial.orbit_true_rms_x / 2);
    expect(r.stderr).toMatch(/stage 0 orbit-correction: success; orbit rms read x/);
  });

  it('bba of every quadrupole, then offsets: centres steers the beam through the measured centres and keeps the golden orbit that offsets: golden steers back to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir, { errors: writeErrors(dir), seed: 3 });
    const seq = writeSequence(
      dir,
      [
        'name: centres',
        'beam: stored',
        'stages:',
        '  - stage: orbit-correction',
        '    parameters: { iterations: 3 }',
        '  - stage: bba',
        // A 10 um modulation: ThomX's strongest quadrupoles (no BPM's nearest) at the default 50 um made the twin unstable.
        '    parameters: { quads: all, average: 2, modulation: 1.0e-5 }',
        '  - stage: orbit-correction',
        '    name: centring',
        '    parameters: { offsets: centres, svThreshold: 1.0e-3, average: 8 }',
        '  - stage: tune-correction',
        '  - stage: orbit-correction',
        '    name: to-golden',
        '    parameters: { offsets: golden, iterations: 2, average: 4 }',
        '  - stage: figures',
      ].join('\n'),
    );
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    const [orbit, bba, centring, tune, golden] = readStageFiles(out);
    const q = (f: { record: { figures: { quad_offset_rms_x: number; quad_offset_rms_y: number } } }) => Math.hypot(f.record.figures.quad_offset_rms_x, f.record.figures.quad_offset_rms_y);
    // Every quadrupole measured (extra pairs included), the golden orbit kept for every BPM of both planes.
    expect(bba.checkpoint.state.bba?.pairs.length).toBeGreaterThan(bba.record.attempts[0].values.bba_pairs);
    expect(Object.keys(centring.checkpoint.state.golden?.x ?? {})).toHaveLength(24);
    expect(Number.isFinite(centring.record.attempts[0].values.centring_model_rms_x)).toBe(true);
    console.log(`beam to the quadrupole centres (x, y in quadrature): ${(q(orbit) * 1e6).toFixed(1)} um after the orbit correction, ${(q(centring) * 1e6).toFixed(1)} after the centring, ${(q(tune) * 1e6).toFixed(1)} after the tune correction, ${(q(golden) * 1e6).toFixed(1)} back on the golden orbit`);
    // Measured: 127.1 um after the orbit correction, 57.8 after the centring, 57.9 after the tunes, 57.8 on the golden orbit.
    expect(q(centring)).toBeLessThan(q(orbit) / 2);
    expect(q(golden)).toBeLessThanOrEqual(q(tune) * 1.05);
  });

  it('sextupole-ramp: from a fraction of the setpoints back to them, an orbit correction after each step; a ramp from off past the limits is refused, the sextupoles unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir, { errors: writeErrors(dir), seed: 3 });
    const seq = writeSequence(
      dir,
      ['name: ramp', 'beam: stored', 'stages:', '  - stage: orbit-correction', '  - stage: sextupole-ramp', '    parameters: { from: 0.6, steps: 2 }', '  - stage: sextupole-ramp', '    name: from-off', '    parameters: { from: 0 }', '    onFailure: skip', '  - stage: figures'].join('\n'),
    );
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    const files = readStageFiles(out);
    const sext = (i: number) => Object.fromEntries(Object.entries(files[i].checkpoint.setpoints.families).filter(([n]) => n.startsWith('S_')).map(([n, f]) => [n, f.values]));
    const before = sext(0);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const ramp = files[1].record;
    expect(ramp.success).toBe(true);
    expect(ramp.attempts[0].values.steps).toBe(2);
    expect(Number.isFinite(ramp.attempts[0].values.orbit_rms_x)).toBe(true);
    // Back at the setpoints it started from (the targets kept in the seed's state), chromaticity as before.
    expect(sext(1)).toEqual(before);
    expect(files[1].checkpoint.state.sextupoleTargets).toEqual(before);
    expect(ramp.figures.chromaticity_x).toBeCloseTo(files[0].record.figures.chromaticity_x, 2);
    // Off is below the families' lower limits (half their setpoint): refused, nothing moved.
    const off = files[2].record;
    expect(off.success).toBe(false);
    expect(off.attempts[0].failure).toMatch(/outside the limits/);
    expect(sext(2)).toEqual(before);
  });

  it('loco with skew: the skew quadrupoles fitted on the coupling blocks and corrected take the coupling out (quadrupole rolls)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const errors = join(dir, 'errors.yaml');
    writeFileSync(errors, stringify({ magnets: { QUAD: { roll: { sigma: 2e-3, truncation: 2 }, field: { sigma: 2e-3, truncation: 2 } } }, bpms: { BPMx: { noise: 1e-6 }, BPMy: { noise: 1e-6 } } }));
    const facility = writeThomxFacility(dir, { errors, seed: 2 }, { skew: true });
    const stage = (skew: boolean) => ['  - stage: loco', `    name: loco-${skew ? 'skew' : 'normal'}`, `    parameters: { kick: 5.0e-5, iterations: 4, groups: device${skew ? ', skew: [SKEW]' : ''} }`];
    const seq = writeSequence(dir, ['name: coupling', 'beam: stored', 'stages:', '  - stage: orbit-correction', ...stage(false), ...stage(true), '  - stage: figures'].join('\n'));
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    const [orbit, normal, skew] = readStageFiles(out);
    const skewValues = (i: number) => Object.values(readStageFiles(out)[i].checkpoint.setpoints.families.SKEW.values as number[]);
    // The normal LOCO leaves the skew windings at zero and the coupling in; the skew LOCO sets them and takes it out.
    expect(skewValues(1).every((v) => v === 0)).toBe(true);
    expect(skewValues(2).some((v) => v !== 0)).toBe(true);
    const c = (f: { coupling: number; beta_beat_y: number }) => f.coupling;
    console.log(`coupling (emittance ratio) after orbit ${c(orbit.record.figures)}, after loco ${c(normal.record.figures)}, after loco with skew ${c(skew.record.figures)}; beta-beat y ${normal.record.figures.beta_beat_y} -> ${skew.record.figures.beta_beat_y}`);
    expect(c(skew.record.figures)).toBeLessThan(c(normal.record.figures) / 10);
  });

  it('threads and stores the beam from no beam (inject-thread, store: @mlayer/orbit threadBeam), counts the injections, and resumes after store with the same records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const errors = join(dir, 'errors.yaml');
    writeFileSync(
      errors,
      stringify({
        magnets: { QUAD: { dx: { sigma: 200e-6, truncation: 2 }, dy: { sigma: 200e-6, truncation: 2 } } },
        bpms: { BPMx: { noise: 10e-6 }, BPMy: { noise: 10e-6 } },
        injection: { x: { sigma: 0.5e-3, truncation: 2 }, px: { sigma: 50e-6, truncation: 2 }, y: { sigma: 0.5e-3, truncation: 2 }, py: { sigma: 50e-6, truncation: 2 } },
      }),
    );
    const facility = threadingFacilityFile({ settings: { errors, seed: 1 } });
    const seq = writeSequence(
      dir,
      ['name: from-no-beam', 'stages:', '  - stage: inject-thread', '    parameters: { injections: 20 }', '  - stage: store', '  - stage: orbit-correction', '    parameters: { iterations: 3 }', '  - stage: figures'].join('\n'),
    );
    const out = join(dir, 'live');
    const args = ['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm'];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('4/4 stages reached');
    const stages = readStageFiles(out).map((f) => f.record);
    const initial = JSON.parse((await import('node:fs')).readFileSync(join(out, 'initial.json'), 'utf8')).figures;
    expect(initial.beam_stored).toBe(0);
    expect(stages[0].attempts[0].values.injections).toBeGreaterThan(0);
    expect(stages[0].beam === 'threaded' || stages[0].beam === 'stored').toBe(true);
    expect(stages[1].beam).toBe('stored');
    expect(stages[1].figures.beam_stored).toBe(1);
    expect(stages[3].injections).toBe(stages[0].attempts[0].values.injections + stages[1].attempts[0].values.injections);
    expect(stages[2].figures.orbit_true_rms_x).toBeLessThan(stages[1].figures.orbit_true_rms_x);
    // Resume after store: the twin starts with a stored beam again, the later stages give the same records.
    const before = canonicalJson(stages);
    for (const f of readdirSync(out)) if (/^stage-0[23]-|^result\.json$/.test(f)) rmSync(join(out, f));
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(canonicalJson(readStageFiles(out).map((f) => f.record))).toBe(before);
    expect(readStageFiles(out).map((f) => f.timing.run)).toEqual([1, 1, 2, 2]);
    // Resume after inject-thread: the checkpoint's beam (threaded: the first turns, or stored) is taken up again.
    for (const f of readdirSync(out)) if (/^stage-0[123]-|^result\.json$/.test(f)) rmSync(join(out, f));
    const third = await runCli(args);
    expect(third.code, third.stderr).toBe(0);
    expect(canonicalJson(readStageFiles(out).map((f) => f.record))).toBe(before);
    expect(readStageFiles(out).map((f) => f.timing.run)).toEqual([1, 2, 2, 2]);
    console.log(`after inject-thread the beam was ${stages[0].beam}`);
  });

  it('a seed whose errored machine has no closed orbit is recorded (no stored beam, the first stage failed, the seed stopped), not a crashed worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const errors = join(dir, 'errors.yaml');
    writeFileSync(errors, stringify({ magnets: { QUAD: { dx: { sigma: 3e-3, truncation: 2 }, dy: { sigma: 3e-3, truncation: 2 } } } }));
    const facility = writeThomxFacility(dir, { errors, seed: 2 });
    const seq = writeSequence(dir, ['name: lost', 'beam: stored', 'stages:', '  - stage: orbit-correction', '  - stage: figures'].join('\n'));
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0/2 stages reached (stopped)');
    const [stage] = readStageFiles(out).map((f) => f.record);
    expect(stage.success).toBe(false);
    expect(stage.next).toBe('stop');
    expect(stage.attempts[0].failure).toMatch(/closed orbit|lost|unstable/i);
    expect(stage.figures.beam_stored).toBe(0);
    expect(stage.figures.orbit_read_rms_x).toBeNaN();
  });
});

