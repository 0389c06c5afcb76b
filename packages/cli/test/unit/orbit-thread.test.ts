import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { threadingFacilityFile } from '../../../tuning-tools/orbit/test/threading-fixture.js';

/** The ThomX threading facility (4 mm chamber, injection at element 0, no beam at start) with its twin's error set. */
function facility(errors: string, options: Parameters<typeof threadingFacilityFile>[0] = {}): string {
  const file = threadingFacilityFile({ ...options, settings: { errors: 'errors.yaml', seed: 1 } });
  writeFileSync(join(dirname(file), 'errors.yaml'), errors);
  return file;
}

const ERRORS = `magnets:
  QUAD: { dx: { sigma: 200.0e-6, truncation: 2 }, dy: { sigma: 200.0e-6, truncation: 2 } }
bpms:
  BPMx: { noise: 10.0e-6 }
  BPMy: { noise: 10.0e-6 }
injection: { x: 0.5e-3, px: 50.0e-6, y: 0.5e-3, py: 50.0e-6 }
`;

describe('mlayer orbit thread | trajectory (issue 22)', () => {
  it('orbit thread: from no beam to stored on the twin; --json gives injections, the BPMs reached and the closed-orbit result', async () => {
    const r = await runCli(['--facility', facility(ERRORS), '--json', 'orbit', 'thread', '--max-injections', '20']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('stored');
    expect(j.reachedFirst).toBeLessThan(24);
    expect(j.injections).toBeGreaterThanOrEqual(2);
    expect(j.orbit.rmsFinal.x).toBeLessThan(j.orbit.rmsInitial.x);
  });

  it('orbit trajectory --dry-run on a transfer line: the step as a table, nothing written; a bad --shots is refused', async () => {
    const file = facility('bpms: { BPMx: { noise: 20.0e-6 }, BPMy: { noise: 20.0e-6 } }\nmagnets: { QUAD: { dx: 100.0e-6, dy: 100.0e-6 } }\n', { openLine: true, chamber: [0.02, 0.02], limits: [-20, 20] });
    const r = await runCli(['--facility', file, 'orbit', 'trajectory', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/HCM/);
    expect(r.stdout).toMatch(/trajectory rms x .* \(24\/24 BPMs\) ->/);
    const before = await runCli(['--facility', file, '--json', 'get', 'HCM']);
    expect(JSON.parse(before.stdout).values.every((v: number) => v === 0)).toBe(true);
    const bad = await runCli(['--facility', file, 'orbit', 'trajectory', '--shots', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shots/);
  });
});
