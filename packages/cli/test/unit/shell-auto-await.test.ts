import { describe, expect, it } from 'vitest';
import { autoAwait } from '../../src/shell/auto-await.js';

const names = new Set(['getx', 'getam', 'getsp', 'setsp']);

describe('shell auto-await', () => {
  it('wraps each call of a shell function in (await ...), nested calls too', () => {
    expect(autoAwait("getam('BPMx')", names)).toBe("(await getam('BPMx'))");
    expect(autoAwait('x = getx()', names)).toBe('x = (await getx())');
    expect(autoAwait('getx()[0]', names)).toBe('(await getx())[0]');
    expect(autoAwait("setsp('HSTR', getsp('HSTR', [1, 2]))", names)).toBe("(await setsp('HSTR', (await getsp('HSTR', [1, 2]))))");
    expect(autoAwait('getx ( )', names)).toBe('(await getx ( ))');
  });

  it('leaves strings, comments, methods, other names and explicit awaits alone', () => {
    for (const code of ["'getx()'", '"getx()"', '`getx()`', '// getx()', '/* getx() */ 1', 'acc.getx()', 'mygetx()', 'getxx()', 'await getx()', 'function getx() {}', 'getx']) {
      expect(autoAwait(code, names)).toBe(code);
    }
    expect(autoAwait("getam('a)b') // getx()", names)).toBe("(await getam('a)b')) // getx()");
  });
});
