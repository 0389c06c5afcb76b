import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mlayer/core';
import { availableStages, parseSequence, readSequence, unavailableStages } from '../../src/index.js';

const file = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'mlayer-seq-')), 'sequence.yaml');
  writeFileSync(f, text);
  return f;
};

function rejection(text: string): ConfigError {
  const f = file(text);
  try {
    readSequence(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).file).toBe(f);
    return e as ConfigError;
  }
  throw new Error('the sequence was accepted');
}

describe('commissioning sequence files', () => {
  it('reads a sequence: defaults filled in, retries merged over the parameters, names made unique', () => {
    const s = parseSequence(
      [
        'name: tiny',
        'beam: stored',
        'targets: { tunes: [0.17, 0.23] }',
        'stages:',
        '  - stage: orbit-correction',
        '    parameters: { iterations: 3 }',
        '    success: { orbit_true_rms_x: { max: 1.0e-4 } }',
        '    onFailure: { retry: [{ svThreshold: 1.0e-2 }], then: skip }',
        '  - stage: orbit-correction',
        '  - stage: figures',
      ].join('\n'),
      'inline.yaml',
    );
    expect(s.beam).toBe('stored');
    expect(s.targets.tunes).toEqual([0.17, 0.23]);
    expect(s.stages.map((x) => x.name)).toEqual(['orbit-correction', 'orbit-correction-2', 'figures']);
    expect(s.stages[0].attempts).toEqual([
      { iterations: 3, svThreshold: 1e-3, rf: false, offsets: 'bba', average: 1, gain: 1 },
      { iterations: 3, svThreshold: 1e-2, rf: false, offsets: 'bba', average: 1, gain: 1 },
    ]);
    expect(s.stages[0].onFailure.then).toBe('skip');
    expect(s.stages[1].onFailure).toEqual({ retry: [], then: 'stop' });
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects an unknown stage naming file, line, path and value', () => {
    const e = rejection(['name: bad', 'beam: stored', 'stages:', '  - stage: orbit-correction', '  - stage: lcoo', '    parameters: {}'].join('\n'));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ path: 'stages[1].stage', value: 'lcoo', line: 5 });
    expect(e.message).toContain(':5:');
    expect(e.message).toContain('a known stage (inject-thread, store,');
  });

  it('rejects a parameter of the wrong type, an unknown parameter and an unknown figure, each at its line', () => {
    const e = rejection(
      [
        'name: bad',
        'beam: stored',
        'stages:',
        '  - stage: orbit-correction',
        '    parameters:',
        '      iterations: five',
        '  - stage: bba',
        '    parameters: { stpes: 5 }',
        '  - stage: tune-correction',
        '    success: { tune_eror_x: { max: 0.01 } }',
      ].join('\n'),
    );
    const byPath = Object.fromEntries(e.issues.map((i) => [i.path, i]));
    expect(byPath['stages[0].parameters.iterations']).toMatchObject({ value: 'five', line: 6 });
    expect(byPath['stages[0].parameters.iterations'].expected).toMatch(/number/);
    expect(byPath['stages[1].parameters.stpes']).toMatchObject({ value: 5, line: 8 });
    expect(byPath['stages[2].success.tune_eror_x']).toMatchObject({ value: 'tune_eror_x', line: 10 });
    expect(byPath['stages[2].success.tune_eror_x'].expected).toContain('tune_error_x');
  });

  it('rejects an impossible order: LOCO (or BBA) before the beam is stored', () => {
    const e = rejection(['name: bad', 'stages:', '  - stage: inject-thread', '  - stage: loco', '  - stage: store', '  - stage: bba'].join('\n'));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ path: 'stages[1].stage', value: 'loco', line: 4 });
    expect(e.issues[0].expected).toContain('needs a stored beam and the beam is threaded');
    // Injection, threading and storing first make the same stages possible.
    expect(() => parseSequence(['name: ok', 'stages:', '  - stage: inject-thread', '  - stage: store', '  - stage: loco'].join('\n'), 'ok.yaml')).not.toThrow();
  });

  it('rejects steering through the quadrupole centres anywhere but right after a bba stage, and a golden orbit before it exists', () => {
    const e = rejection(
      [
        'name: bad',
        'beam: stored',
        'stages:',
        '  - stage: orbit-correction',
        '    parameters: { offsets: golden }',
        '  - stage: bba',
        '  - stage: tune-correction',
        '  - stage: orbit-correction',
        '    parameters: { offsets: centres }',
      ].join('\n'),
    );
    expect(e.issues).toHaveLength(2);
    expect(e.issues[0]).toMatchObject({ path: 'stages[0].parameters.offsets', value: 'golden', line: 5 });
    expect(e.issues[0].expected).toContain('after an orbit-correction stage with offsets: centres');
    expect(e.issues[1]).toMatchObject({ path: 'stages[3].parameters.offsets', value: 'centres', line: 9 });
    expect(e.issues[1].expected).toContain("right after a 'bba' stage");
    const ok = parseSequence(
      ['name: ok', 'beam: stored', 'stages:', '  - stage: bba', '    parameters: { quads: all }', '  - stage: orbit-correction', '    parameters: { offsets: centres, average: 8 }', '  - stage: loco', '  - stage: orbit-correction', '    parameters: { offsets: golden }'].join('\n'),
      'ok.yaml',
    );
    expect(ok.stages.map((st) => st.attempts[0].offsets ?? st.attempts[0].quads)).toEqual(['all', 'centres', undefined, 'golden']);
  });

  it("checks the figures stage's dynamic aperture request (an odd number of angles, amplitudes > 0)", () => {
    const e = rejection(['name: bad', 'stages:', '  - stage: figures', '    parameters: { dynamicAperture: { amplitudes: [0.02, 0], angles: 4 } }'].join('\n'));
    expect(e.issues.map((i) => i.path).sort()).toEqual(['stages[0].parameters.dynamicAperture.amplitudes', 'stages[0].parameters.dynamicAperture.angles']);
    expect(e.issues.every((i) => i.line === 4)).toBe(true);
    const ok = parseSequence(['name: ok', 'stages:', '  - stage: figures', '    parameters: { dynamicAperture: { amplitudes: [0.02, 0.008] } }'].join('\n'), 'ok.yaml');
    expect(ok.stages[0].attempts[0].dynamicAperture).toEqual({ amplitudes: [0.02, 0.008], radii: 20, angles: 3, turns: 256 });
  });

  it('rejects a retry with a wrong parameter, an unknown top-level field and YAML errors', () => {
    const e = rejection(['name: bad', 'beam: stored', 'stage: []', 'stages:', '  - stage: loco', '    onFailure: { retry: [{ fraction: 2 }] }'].join('\n'));
    const paths = e.issues.map((i) => i.path);
    expect(paths).toContain('stage');
    expect(rejection(['name: bad', 'beam: stored', 'stages:', '  - stage: loco', '    onFailure: { retry: [{ fraction: 2 }] }'].join('\n')).issues[0]).toMatchObject({
      path: 'stages[0].onFailure.retry[0].fraction',
      value: 2,
      line: 5,
    });
    expect(rejection('name: [unclosed\n').message).toContain('valid YAML');
  });

  it('names the stages a build cannot run; this build runs every stage kind', () => {
    const s = parseSequence(['name: ok', 'stages:', '  - stage: inject-thread', '  - stage: store', '  - stage: sextupole-ramp', '  - stage: orbit-correction'].join('\n'), 'ok.yaml');
    expect(unavailableStages(s, availableStages())).toEqual([]);
    expect(unavailableStages(s, new Set(['inject-thread', 'store', 'orbit-correction']))).toEqual(['sextupole-ramp']);
  });
});
