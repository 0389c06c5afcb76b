import { describe, expect, it } from 'vitest';
import { complete, type CompletionSource } from '../../src/shell/completer.js';

const src: CompletionSource = {
  functions: ['getam', 'getsp', 'setsp', 'getx', 'gettune', 'getfamilylist'],
  familyFunctions: new Set(['getam', 'getsp', 'setsp']),
  families: () => ['BPMx', 'BPMy', 'HCM', 'HSTR', 'TUNE'],
  devices: (f) => (f === 'HSTR' ? ['SR01A-PC-HSTR-01', 'SR01A-PC-HSTR-02', 'SR02A-PC-HSTR-01'] : []),
};

describe('shell completion', () => {
  it('completes function names being typed', () => {
    expect(complete('get', src)).toEqual([['getam', 'getsp', 'getx', 'gettune', 'getfamilylist'], 'get']);
    expect(complete('x = gett', src)).toEqual([['gettune'], 'gett']);
  });

  it('completes families in the first quoted argument, devices and units in later ones', () => {
    expect(complete("getam('BP", src)).toEqual([['BPMx', 'BPMy'], 'BP']);
    expect(complete("getam('TU", src)).toEqual([['TUNE'], 'TU']);
    expect(complete("setsp('HSTR', 1, 'SR01", src)).toEqual([['SR01A-PC-HSTR-01', 'SR01A-PC-HSTR-02'], 'SR01']);
    expect(complete("getsp('HSTR', 'ph", src)).toEqual([['physics'], 'ph']);
    expect(complete("getsp('HSTR', ['SR02A-PC-HSTR-01', 'SR01A-PC-HSTR-01'], 'h", src)).toEqual([['hardware'], 'h']);
  });

  it('offers the families quoted right after the parenthesis', () => {
    expect(complete('getam(', src)).toEqual([["'BPMx'", "'BPMy'", "'HCM'", "'HSTR'", "'TUNE'"], '']);
  });

  it('leaves other input to the REPL', () => {
    expect(complete('acc.fam', src)).toBeUndefined();
    expect(complete("console.log('BP", src)).toBeUndefined();
    expect(complete('zz', src)).toBeUndefined();
  });
});
