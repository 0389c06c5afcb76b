import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../epics-fixture.js';

const run = promisify(execFile);
/** Debian's python3-pyepics, with the system interpreter (not a python3 of another environment). */
const PYTHON = '/usr/bin/python3';

async function pyepics(ioc: TestIoc, code: string): Promise<string> {
  const { stdout } = await run(PYTHON, ['-c', `import epics\n${code}`], {
    env: { ...process.env, ...ioc.ioc.clientEnv, PYTHONPATH: '' },
    timeout: 20000,
  });
  return stdout.trim();
}

describe('pyepics (independent CA client) against the test IOC', () => {
  let t: TestIoc;
  beforeAll(async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install python3-pyepics (scripts/debian-packages.txt)`);
    t = await startTestIoc([
      { name: 'PY:X', type: 'double', initial: 0, precision: 4 },
      { name: 'PY:WF', type: 'double', length: 8 },
    ]);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('pyepics sees a value the adapter wrote', async () => {
    await t.cs.write([{ channel: 'PY:X', value: 12.375 }], { wait: true });
    await t.cs.write([{ channel: 'PY:WF', value: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8) }], { wait: true });
    const out = await pyepics(t, "print(repr(epics.caget('PY:X', timeout=5)))\nprint(list(epics.caget('PY:WF', timeout=5)))");
    expect(out.split('\n')).toEqual(['12.375', '[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]']);
  });

  it('the adapter reads what pyepics wrote', async () => {
    await pyepics(t, "assert epics.caput('PY:X', -3.5, wait=True, timeout=5) == 1");
    const [x] = await t.cs.read(['PY:X']);
    expect(x.value).toBe(-3.5);
  });
});
