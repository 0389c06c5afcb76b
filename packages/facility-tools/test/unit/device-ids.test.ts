import { describe, expect, it } from 'vitest';
import { assignDeviceIds, cellNumber, elementSectors, trailingNumber, uniqueDeviceNames } from '@mlayer/facility-tools';

describe('device ids [sector, index]', () => {
  it('reads the cell number and the trailing number of a name', () => {
    expect(cellNumber('SR01C-DI-EBPM-01')).toBe(1);
    expect(cellNumber('SR24A-PC-HSTR-07')).toBe(24);
    expect(cellNumber('SR09S-DI-EBPM-02')).toBe(9);
    expect(cellNumber('SR-PC-DIPOL-01')).toBeUndefined();
    expect(cellNumber('LI-RF-MOSC-01')).toBeUndefined();
    expect(trailingNumber('SR02I-PC-HSTR-11')).toBe(11);
  });

  it('ranks devices along the ring within their sector, whatever the letter', () => {
    const devices = [
      { element: 50, name: 'SR09C-DI-EBPM-01' },
      { element: 10, name: 'SR09S-DI-EBPM-01' },
      { element: 60, name: 'SR09C-DI-EBPM-02' },
      { element: 12, name: 'SR09S-DI-EBPM-02' },
      { element: 5, name: 'SR08C-DI-EBPM-07' },
    ];
    expect(assignDeviceIds(devices, () => -1)).toEqual([
      [9, 3],
      [9, 1],
      [9, 4],
      [9, 2],
      [8, 1],
    ]);
  });

  it('gives a name without a cell number the sector of the nearest named element before it (cyclic)', () => {
    const sectors = elementSectors(10, [
      { element: 2, name: 'SR01C-DI-EBPM-01' },
      { element: 6, name: 'SR02C-DI-EBPM-01' },
      { element: 6, name: 'SR-PC-DIPOL-01' },
    ]);
    expect([...sectors]).toEqual([2, 2, 1, 1, 1, 1, 2, 2, 2, 2]);
    const ids = assignDeviceIds(
      [
        { element: 7, name: 'SR-PC-DIPOL-01' },
        { element: 3, name: 'SR-PC-DIPOL-01' },
        { element: 0, name: 'SR-PC-DIPOL-01' },
      ],
      (e) => sectors[e],
    );
    expect(ids).toEqual([
      [2, 2],
      [1, 1],
      [2, 1],
    ]);
    expect([...elementSectors(3, [{ element: 1, name: 'LI-RF-MOSC-01' }])]).toEqual([0, 0, 0]);
  });

  it('numbers ring-level devices [k, 1] and makes shared names unique', () => {
    const devices = [
      { element: undefined, name: 'SR23C-DI-TMBF-01', field: 'tune_x' },
      { element: undefined, name: 'SR23C-DI-TMBF-01', field: 'tune_y' },
    ];
    expect(assignDeviceIds(devices, () => 0)).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(uniqueDeviceNames(devices)).toEqual(['SR23C-DI-TMBF-01#tune_x', 'SR23C-DI-TMBF-01#tune_y']);
    expect(
      uniqueDeviceNames([
        { element: 48, name: 'SR-PC-DIPOL-01', field: 'b0' },
        { element: 20, name: 'SR-PC-DIPOL-01', field: 'b0' },
        { element: 30, name: 'SR01A-PC-Q1D-01', field: 'b1' },
      ]),
    ).toEqual(['SR-PC-DIPOL-01#2', 'SR-PC-DIPOL-01#1', 'SR01A-PC-Q1D-01']);
  });
});
