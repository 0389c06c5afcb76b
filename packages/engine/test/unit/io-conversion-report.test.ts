/** The loss report of lattice conversions and the registry's read/write with and without it. */
import { describe, expect, it } from 'vitest';
import { ConversionLossLog, LatticeFormatRegistry, formatConversionLosses, groupConversionLosses, type Lattice } from '../../src/index.js';

const lattice: Lattice = {
  elements: [{ FamName: 'D', PassMethod: 'DriftPass', Length: 1, Class: 'Drift' }],
  properties: { name: '', energy: 1e9, periodicity: 1, particle: { name: 'relativistic', rest_energy: 0, charge: -1 } },
};

describe('conversion loss report', () => {
  it('groups the same element, attribute and reason, keeping the indices and the first-seen order', () => {
    const log = new ConversionLossLog();
    log.add({ element: 'QF', index: 3, attribute: 'NumIntSteps', reason: '20 is not carried' });
    log.add({ element: 'B', index: 4, attribute: '', reason: 'read as a Drift' });
    log.add({ element: 'QF', index: 9, attribute: 'NumIntSteps', reason: '20 is not carried' });
    expect(groupConversionLosses(log.losses)).toEqual([
      { element: 'QF', attribute: 'NumIntSteps', reason: '20 is not carried', count: 2, indices: [3, 9] },
      { element: 'B', attribute: '', reason: 'read as a Drift', count: 1, indices: [4] },
    ]);
    expect(formatConversionLosses(log.losses)).toEqual(['element QF (2×): NumIntSteps: 20 is not carried', 'element B: read as a Drift']);
  });

  it('the registry returns the losses of read/write, none for formats with load/save only; use only where lines are named', () => {
    const r = new LatticeFormatRegistry();
    let used: string | undefined;
    r.registerFormat('.plain', { load: () => lattice, save: () => undefined, description: 'load/save only' });
    r.registerFormat('.named', {
      load: () => lattice,
      read: (_p, o) => ((used = o?.use), { lattice, losses: [{ element: 'D', attribute: 'X', reason: 'r' }] }),
      write: () => ({ losses: [{ element: 'D', index: 0, attribute: 'Y', reason: 'w' }] }),
      namedLines: true,
      description: 'with reports',
    });
    expect(r.readLattice('a.plain').losses).toEqual([]);
    expect(r.writeLattice('a.plain', lattice).losses).toEqual([]);
    expect(r.readLattice('a.named', { use: 'CELL' }).losses).toHaveLength(1);
    expect(used).toBe('CELL');
    expect(r.loadLattice('a.named')).toBe(lattice);
    expect(r.writeLattice('a.named', lattice).losses[0].attribute).toBe('Y');
    expect(() => r.loadLattice('a.plain', { use: 'CELL' })).toThrow(/a\.plain: a '\.plain' file holds one lattice/);
    expect(r.listFormats().map((f) => [f.extension, f.canSave, f.namedLines])).toEqual([
      ['.named', true, true],
      ['.plain', true, false],
    ]);
  });
});
