import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPytac, PytacImportError } from '@mlayer/facility-tools';
import { LATTICE, PYTAC_DIR, tempDir } from '../helpers.js';

/** Imports with a families file of this text; returns the error it gives. */
function importError(text: string): PytacImportError {
  const dir = tempDir('families');
  const file = join(dir, 'extra.yaml');
  writeFileSync(file, text);
  try {
    importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: join(dir, 'out'), name: 'bad', familiesFile: file });
  } catch (e) {
    expect(e).toBeInstanceOf(PytacImportError);
    expect((e as PytacImportError).file).toBe(file);
    return e as PytacImportError;
  }
  throw new Error('the import did not fail');
}

const family = (extra = '') => `QS:
  elementClass: SynchrotronTune
  description: synchrotron tune
  fields:
    monitor:
      units: { hardware: "", physics: "" }
      channels: { epics: "X:QS" }${extra}
  devices:
    - { device: [ 1, 1 ], name: QS }
`;

describe('hand-written families (--families): refused with the file, line, path and value', () => {
  it('an unknown key, a family without a description, a name pytac has', () => {
    const unknown = importError(family('\n      colour: blue'));
    expect(unknown.line).toBe(8);
    expect(unknown.message).toMatch(/extra\.yaml:8: QS\.fields\.monitor\.colour: .*\(got "blue"\)/);
    const undescribed = importError(family().replace('  description: synchrotron tune\n', ''));
    expect(undescribed.message).toMatch(/QS\.description: a hand-written family needs a description/);
    const clash = importError(family().replace(/^QS:/, 'EMITx:'));
    expect(clash.message).toMatch(/family EMITx is also imported from pytac: give the hand-written family another name/);
  });
});
