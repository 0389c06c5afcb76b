/** `mlayer shadow` in process: a twin shadowing a twin (ThomX, BPM and tune noise); options refused with one line. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { thomxFacilityFile } from '../../../adapters-sim/test/twin-fixture.js';

describe('mlayer shadow', () => {
  it('follows the source, learns the noise, and a noise-only run gives no alarm (JSON summary)', async () => {
    const f = ['-f', thomxFacilityFile({ bpmNoise: 2e-6, tuneNoise: 1e-4 })];
    const r = await runCli([...f, '--json', 'shadow', '--from', 'twin', '--updates', '130', '--rate', '1000']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].summary.updates).toBe(130);
    expect(lines[0].summary.followed).toBeGreaterThan(20);
    expect(lines[0].summary.residuals).toBeGreaterThan(20);
    expect(lines[0].summary.alarms).toBe(0);
  });

  it('refuses a bad source, rate or count naming it', async () => {
    const f = ['-f', thomxFacilityFile()];
    expect((await runCli([...f, 'shadow', '--from', 'nosuch', '--updates', '1'])).stderr).toMatch(/unknown mode 'nosuch'; the facility defines twin/);
    expect((await runCli([...f, 'shadow', '--from', 'twin', '--rate', '0'])).stderr).toMatch(/--rate: '0' is not a positive number/);
    expect((await runCli([...f, 'shadow', '--from', 'twin', '--updates', '0'])).stderr).toMatch(/--updates: '0'/);
  });
});
