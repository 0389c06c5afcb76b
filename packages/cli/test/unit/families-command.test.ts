import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';

const DIAMOND = fileURLToPath(new URL('../../../../facilities/diamond-i04', import.meta.url));
const run = (args: string[]) => runCli(['--facility', DIAMOND, ...args]);

describe('mlayer families / devices and group names on the command line (demo facility)', () => {
  it('families lists each family with class, groups, devices, units and channels in the mode, and each group', async () => {
    const r = await run(['families']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mode 'twin': control system type twin/);
    expect(r.stdout).toMatch(/^HSTR\s+Corrector\s+COR,HCM,Magnet\s+172\s+setpoint,readback\s+A -> rad\s+172\/172$/m);
    expect(r.stdout).toMatch(/^HCM\s+HSTR$/m);
    const j = JSON.parse((await run(['--json', 'families'])).stdout) as { families: { name: string; devices: number }[]; groups: { group: string; families: string[] }[] };
    expect(j.families).toHaveLength(61);
    expect(j.groups.find((g) => g.group === 'QUAD')?.families).toHaveLength(16);
  });

  it('devices takes a family or a group of one, lists device, name, enabled, limits and channels per mode', async () => {
    const r = await run(['devices', 'HCM']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HSTR \(the family of group HCM\): Corrector, 172 devices/);
    expect(r.stdout).toMatch(/^\[1,2\]\s+SR01A-PC-HSTR-02\s+yes\s+\[-5, 5\] A\s+SR01A-PC-HSTR-02:SETI\s+SR01A-PC-HSTR-02:I\s+SR01A-PC-HSTR-02:SETI\s+SR01A-PC-HSTR-02:I$/m);
    const q = await run(['devices', 'QUAD']);
    expect(q.code).toBe(2);
    expect(q.stderr).toBe("mlayer: 'QUAD' is a group of 16 families (Q1D, Q2D, Q3D, Q2AD, Q1AD, Q1AB, Q2AB, Q3B, Q2B, Q1B, Q1BE, Q2BE, Q3E, Q4E, QM09, QM13); name one of them\n");
    expect((await run(['devices', 'HSTX'])).stderr).toBe("mlayer: unknown family 'HSTX' (did you mean 'HSTR'?)\n");
  });

  it('get takes a group of one family (mlayer get HCM) and suggests for a misspelt device name', async () => {
    const g = await run(['--json', 'get', 'HCM', '--field', 'setpoint', '--devices', '1,2']);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ names: ['SR01A-PC-HSTR-02'], units: 'A', values: [0] });
    const n = await run(['get', 'HCM', '--names', 'SR01A-PC-HSTR-2']);
    expect(n.stderr).toMatch(/HSTR: no device named 'SR01A-PC-HSTR-2' \(did you mean 'SR01A-PC-HSTR-02'/);
  }, 60000);
});
