import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadFacility, type Sample } from '@mlayer/core';
import { MemoryControlSystem } from '@mlayer/core/testing';
import { generateDb } from '@mlayer/adapters-epics';
import { DEFAULT_PRECISION, epicsDescriptions, epicsNaming, settleRecords } from '@mlayer/virtual-accelerator';
import { ThrottledMonitors } from '@mlayer/virtual-accelerator';
import { CM_LIMITS, epicsFacilityFile } from '../serve-epics-fixture.js';

// The records `mlayer serve --protocol epics` generates from a facility (no IOC here;
// serve-epics.test.ts serves them from a real softIoc), and the per-device rate limit.

const DIAMOND = join(__dirname, '../../../../facilities/diamond-i04/facility.yaml');

/** The ThomX test facility with `edit` applied to its document. */
function edited(edit: (doc: { controlSystems: Record<string, unknown>; families: Record<string, { fields: Record<string, { channels: Record<string, string> }> }> }) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-epics-records-'));
  const file = epicsFacilityFile(dir);
  const doc = parse(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, stringify(doc));
  return loadFacility(file);
}

describe('epicsNaming', () => {
  it('describes every PV of Diamond I04 once: set points as ao with drive limits, readbacks and monitors as ai', () => {
    const f = loadFacility(DIAMOND);
    const n = epicsNaming(f, 'twin', 'epics');
    expect(n.channels.length + n.shared).toBe(4317);
    expect(n.channels.length).toBe(4219);
    const dipole = n.channels.filter((c) => c.served === 'SR-PC-DIPOL-01:SETI');
    expect(dipole).toHaveLength(1);
    const q2d = n.channels.find((c) => c.family === 'Q2D' && c.field === 'setpoint')!;
    expect(q2d.record).toMatchObject({ type: 'double', units: 'A', readonly: false, limits: { low: 0, high: 200 }, precision: DEFAULT_PRECISION });
    const bpm = n.channels.find((c) => c.served === 'SR01C-DI-EBPM-01:SA:X')!;
    expect(bpm.record).toMatchObject({ units: 'mm', readonly: true });
    expect(bpm.record.limits).toBeUndefined();
    expect(bpm.twin).toBe('SR01C-DI-EBPM-01:SA:X');
    // The database text for all of them: one record per PV, ao for every set point.
    const db = generateDb(epicsDescriptions(n.channels, new Map([[q2d.served, 120.5]])));
    expect(db.match(/^record\(/gm)).toHaveLength(4219);
    expect(db.match(/^record\(ao, /gm)).toHaveLength(n.channels.filter((c) => c.field === 'setpoint').length);
    expect(db).toContain(`record(ao, "${q2d.served}") {`);
    expect(db).toMatch(new RegExp(`record\\(ao, "${q2d.served}"\\) \\{[^}]*field\\(DRVH, "200"\\)[^}]*field\\(VAL, "120.5"\\)`));
  });

  it('pairs each PV with the twin channel of the same device and field (names differ in the ThomX facility)', () => {
    const f = loadFacility(epicsFacilityFile());
    const n = epicsNaming(f, 'twin', 'epics');
    const sp = n.channels.find((c) => c.served === 'TX:HCM01-2:SETI')!;
    expect(sp).toMatchObject({ family: 'HCM', deviceIndex: 1, field: 'setpoint', twin: 'HCM:1:2:SP' });
    expect(sp.record).toMatchObject({ readonly: false, limits: { low: CM_LIMITS[0], high: CM_LIMITS[1] }, precision: 4, units: 'A' });
    expect(n.shared).toBe(0);
  });

  it('rejects a PV that two different twin channels would feed, naming both', () => {
    const f = edited((doc) => {
      doc.families.VCM.fields.readback.channels.epics = 'TX:HCM{sector:02}-{index}:I';
    });
    expect(() => epicsNaming(f, 'twin', 'epics')).toThrow(/VCM E\d+ readback: PV 'TX:HCM01-1:I' is also the readback of HCM E\d+ \(twin channel 'HCM:1:1:RB', here 'VCM:1:1:RB'\)/);
  });

  it("serves core's default names for an epics control system that names none; rejects one not of type epics", () => {
    const f = edited((doc) => {
      doc.controlSystems.other = { type: 'epics' };
    });
    const n = epicsNaming(f, 'twin', 'other');
    expect(n.channels.find((c) => c.served === 'HCM:setpoint:1:2')).toMatchObject({ twin: 'HCM:1:2:SP', field: 'setpoint' });
    expect(() => epicsNaming(loadFacility(epicsFacilityFile()), 'twin', 'twin')).toThrow(/control system 'twin' is of type 'twin', not epics/);
  });

  it('links every set point to a settle record that delays its put-callback (calcout ODLY)', () => {
    const n = epicsNaming(loadFacility(epicsFacilityFile()), 'twin', 'epics');
    const all = settleRecords(epicsDescriptions(n.channels, new Map()), n.channels, 0.25);
    const setpoints = n.channels.filter((c) => c.field === 'setpoint');
    expect(all).toHaveLength(n.channels.length + setpoints.length);
    const db = generateDb(all);
    expect(db).toMatch(/record\(ao, "TX:HCM01-2:SETI"\) \{[^}]*field\(FLNK, "TX:HCM01-2:SETI:MLAYER_SETTLE"\)/);
    expect(db).toMatch(/record\(calcout, "TX:HCM01-2:SETI:MLAYER_SETTLE"\) \{[^}]*field\(ODLY, "0.25"\)/);
    expect(db).not.toContain('TX:HCM01-2:I:MLAYER_SETTLE');
    expect(settleRecords(epicsDescriptions(n.channels, new Map()), n.channels, 0)).toHaveLength(n.channels.length);
  });

  it('leaves a non-finite present value out of the initial values', () => {
    const n = epicsNaming(loadFacility(epicsFacilityFile()), 'twin', 'epics');
    const bpm = n.channels.find((c) => c.family === 'BPMx')!;
    const [d] = epicsDescriptions([bpm], new Map([[bpm.served, Number.NaN]]));
    expect(d.initial).toBeUndefined();
  });
});

describe('ThrottledMonitors', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes a channel at most once per period, first and last value of each burst, others unthrottled', async () => {
    vi.useFakeTimers();
    const mem = new MemoryControlSystem().define('BPM', 0).define('RB', 0);
    const cs = new ThrottledMonitors(mem, (c) => (c === 'BPM' ? 100 : undefined));
    const bpm: number[] = [];
    const rb: number[] = [];
    const subs = [cs.monitor('BPM').subscribe((s: Sample) => bpm.push(s.value as number)), cs.monitor('RB').subscribe((s: Sample) => rb.push(s.value as number))];
    for (let v = 1; v <= 5; v++) await cs.write([{ channel: 'BPM', value: v }, { channel: 'RB', value: v }]);
    expect(rb).toEqual([0, 1, 2, 3, 4, 5]);
    expect(bpm).toEqual([0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(bpm).toEqual([0, 5]);
    await vi.advanceTimersByTimeAsync(500);
    expect(bpm).toEqual([0, 5]);
    for (const s of subs) s.unsubscribe();
  });
});
