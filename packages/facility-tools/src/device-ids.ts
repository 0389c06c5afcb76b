/**
 * Device list entries [sector, index] (MML's DeviceList) for imported devices.
 *
 * The rule, for the devices of ONE family:
 * - sector: the cell number of the device name, i.e. the digits right after the
 *   leading letters (`SR01C-DI-EBPM-01` → 1, `SR09S-PC-HSTR-01` → 9,
 *   `SR02I-PC-HSTR-11` → 2). The letter after the digits (Diamond: A arc
 *   supplies, C cell diagnostics, S/I/J straights) is NOT part of the device id.
 *   A name without a cell number (`SR-PC-DIPOL-01`, `LI-RF-MOSC-01`) takes the
 *   sector of the nearest element before it along the ring (cyclically) whose
 *   device name has one; if no device name of the machine has one, 0.
 * - index: 1-based rank of the device in its sector, ordered along the ring by
 *   lattice element index (then by file order). Ranking instead of the name's
 *   trailing number keeps devices unique where names of different letters share
 *   a number (SR09S-DI-EBPM-01 and SR09C-DI-EBPM-01, SR02I-PC-HSTR-11 and
 *   SR02J-PC-HSTR-11, SR02A-PC-HSTR-01 and SR02A-PC-HSCOR-01).
 * - ring-level devices (no element: DCCT, tunes, emittances) are [k, 1], k the
 *   1-based order of the device in its family (MML: TUNE [1 1] x, [2 1] y).
 * So [sector, index] is unique within a family by construction.
 */

/** The cell number in a device name, or undefined when it has none. */
export function cellNumber(name: string): number | undefined {
  const m = /^[A-Za-z]+(\d+)[A-Za-z]*-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The trailing number of a device name (`...-07` → 7), or undefined. */
export function trailingNumber(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Sector of every lattice element (by index) from the cell numbers of the device
 * names on the elements: an element takes the cell number of its own device
 * names, else that of the nearest element before it (cyclically).
 */
export function elementSectors(nElements: number, named: readonly { element: number; name: string }[]): Int32Array {
  const own = new Int32Array(nElements).fill(-1);
  for (const d of named) {
    const c = cellNumber(d.name);
    if (c !== undefined && d.element >= 0 && d.element < nElements && own[d.element] < 0) own[d.element] = c;
  }
  const out = new Int32Array(nElements).fill(0);
  let last = -1;
  // The sector at the ring start is the one of the last named element (cyclic).
  for (let i = nElements - 1; i >= 0 && last < 0; i--) if (own[i] >= 0) last = own[i];
  if (last < 0) return out;
  for (let i = 0; i < nElements; i++) {
    if (own[i] >= 0) last = own[i];
    out[i] = last;
  }
  return out;
}

export interface DeviceToNumber {
  /** Lattice element index, undefined for a ring-level device. */
  readonly element: number | undefined;
  readonly name: string;
}

/** [sector, index] of each device of one family (in the order given, see the rule above). */
export function assignDeviceIds(devices: readonly DeviceToNumber[], sectorOfElement: (element: number) => number): [number, number][] {
  const out: [number, number][] = new Array(devices.length);
  const bySector = new Map<number, number[]>();
  let ringLevel = 0;
  devices.forEach((d, i) => {
    if (d.element === undefined) {
      out[i] = [++ringLevel, 1];
      return;
    }
    const s = cellNumber(d.name) ?? sectorOfElement(d.element);
    const list = bySector.get(s) ?? [];
    list.push(i);
    bySector.set(s, list);
  });
  for (const [s, list] of bySector) {
    list.sort((a, b) => devices[a].element! - devices[b].element! || a - b);
    list.forEach((i, k) => (out[i] = [s, k + 1]));
  }
  return out;
}

/**
 * Device names unique within a family: the pytac device name, made unique where
 * several devices of the family share it: `#k` (k = 1, 2, ... along the ring)
 * where one power supply drives several magnets (SR-PC-DIPOL-01 for the 46 BB
 * dipoles), `#<field>` for ring-level devices (SR23C-DI-TMBF-01#tune_x).
 */
export function uniqueDeviceNames(devices: readonly (DeviceToNumber & { readonly field: string })[]): string[] {
  const groups = new Map<string, number[]>();
  devices.forEach((d, i) => groups.set(d.name, [...(groups.get(d.name) ?? []), i]));
  const out = devices.map((d) => d.name);
  for (const [name, list] of groups) {
    if (list.length < 2) continue;
    const onElements = list.filter((i) => devices[i].element !== undefined);
    onElements.sort((a, b) => devices[a].element! - devices[b].element! || a - b);
    onElements.forEach((i, k) => (out[i] = `${name}#${k + 1}`));
    for (const i of list) if (devices[i].element === undefined) out[i] = `${name}#${devices[i].field}`;
  }
  return out;
}
