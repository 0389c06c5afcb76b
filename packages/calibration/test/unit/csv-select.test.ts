import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, selectRows, type CsvTable } from '../../src/csv.js';

/** The definition selectRows keeps: every row, each condition tested on it (numbers compare numerically). */
function scan(table: CsvTable, where: Record<string, string | number> | undefined): number[] {
  const tests = Object.entries(where ?? {}).map(([col, value]) => {
    const i = table.header.indexOf(col);
    return (row: readonly string[]) => (typeof value === 'number' ? row[i] !== '' && Number(row[i]) === value : row[i] === String(value).trim());
  });
  return table.rows.flatMap((row, r) => (tests.every((t) => t(row)) ? [r] : []));
}

const table = parseCsv(
  [
    'uc_id,kind,value',
    '1,a,1.5',
    '01,b,-0',
    '2,a,',
    ' 1.0 ,b,0',
    'x,a,NaN',
    '1e0,"a",2',
    '2,b,1.5',
    ',a,3',
    '3,c,0x10',
  ].join('\n'),
  'table.csv',
);

describe('selectRows (indexed by column)', () => {
  const cases: (Record<string, string | number> | undefined)[] = [
    undefined,
    {},
    { uc_id: 1 },
    { uc_id: 2 },
    { uc_id: 3 },
    { uc_id: 4 },
    { uc_id: '1' },
    { uc_id: ' 01 ' },
    { uc_id: 'x' },
    { uc_id: '' },
    { uc_id: 0 },
    { uc_id: Number.NaN },
    { value: 0 },
    { value: -0 },
    { value: 16 },
    { value: 1.5, kind: 'b' },
    { kind: 'a', uc_id: 1 },
    { kind: 'a', value: 1.5, uc_id: 1 },
    { kind: 'z' },
  ];
  it.each(cases.map((where) => [JSON.stringify(where), where]))('where %s gives the rows a scan of every row gives', (_label, where) => {
    expect(selectRows(table, where)).toEqual(scan(table, where));
  });

  it('a second lookup in the same column gives the same rows, and the result is the caller\'s own array', () => {
    const a = selectRows(table, { uc_id: 1 });
    a.push(99);
    expect(selectRows(table, { uc_id: 1 })).toEqual(scan(table, { uc_id: 1 }));
  });

  it('an unknown column is an error naming the file and the columns, whatever the other conditions', () => {
    expect(() => selectRows(table, { uc_id: 1, nope: 2 })).toThrow(CsvError);
    expect(() => selectRows(table, { nope: 2 })).toThrow("table.csv: no column 'nope' (columns: uc_id, kind, value)");
  });
});
