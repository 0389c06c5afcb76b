import { ConfigError, ControlSystemRegistry } from '@mlayer/core';
import { describe, expect, it } from 'vitest';
import { EPICS_EPOCH_OFFSET, IocChannelError, caSample, epicsEnvironment, epicsSettingsSchema, generateDb, parsePvName, pvaSample, recordFields, registerEpics } from '../../src/index.js';

const ctx = { name: 'epics', file: 'facility.yaml', resolvePath: (p: string) => p, extras: {} };

describe('EPICS settings', () => {
  it('fills defaults and maps them to the epics-tca environment', () => {
    const s = epicsSettingsSchema.parse({ addressList: ['10.0.0.255', 'ioc-host:6064'], serverPort: 6064, pva: { broadcastPort: 6076 } });
    expect(epicsEnvironment(s)).toEqual({
      EPICS_CA_ADDR_LIST: '10.0.0.255 ioc-host',
      EPICS_CA_AUTO_ADDR_LIST: 'YES',
      EPICS_CA_SERVER_PORT: '6064',
      EPICS_CA_REPEATER_PORT: '5065',
      EPICS_PVA_ADDR_LIST: '',
      EPICS_PVA_AUTO_ADDR_LIST: 'YES',
      EPICS_PVA_SERVER_PORT: '5075',
      EPICS_PVA_BROADCAST_PORT: '6076',
    });
    expect(s.timeout).toBe(3000);
  });

  it('is strict: unknown keys, bad hosts, ports and host:port with another port are errors', () => {
    expect(epicsSettingsSchema.safeParse({ adressList: [] }).success).toBe(false);
    expect(epicsSettingsSchema.safeParse({ addressList: ['bad host'] }).success).toBe(false);
    expect(epicsSettingsSchema.safeParse({ serverPort: 80 }).success).toBe(false);
    expect(epicsSettingsSchema.safeParse({ pva: { serverPort: 5075, extra: 1 } }).success).toBe(false);
    expect(epicsSettingsSchema.safeParse({ timeout: Number.POSITIVE_INFINITY }).success).toBe(false);
    const r = epicsSettingsSchema.safeParse({ addressList: ['127.0.0.1:7000'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['addressList', 0]);
    expect(r.error?.issues[0].message).toContain('serverPort is 5064');
  });

  it('registers the epics type; bad settings give a ConfigError naming the path', async () => {
    const registry = registerEpics(new ControlSystemRegistry());
    const f = registry.get('epics');
    expect(f.online).toBe(true);
    const err = await registry.create('epics', { addressList: ['127.0.0.1:7000'] }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).path).toBe('controlSystems.epics.settings.addressList.0');
  });
});

describe('PV names', () => {
  it('parses ca:// and pva:// prefixes and uses the default protocol otherwise', () => {
    expect(parsePvName('SR:BPM1:X', 'ca')).toEqual({ protocol: 'ca', name: 'SR:BPM1:X', key: 'ca://SR:BPM1:X' });
    expect(parsePvName('pva://SR:BPM1:X', 'ca')).toEqual({ protocol: 'pva', name: 'SR:BPM1:X', key: 'pva://SR:BPM1:X' });
    expect(parsePvName('ca://A', 'pva').protocol).toBe('ca');
    expect(() => parsePvName('tango://a/b/c', 'ca')).toThrow(ConfigError);
    expect(() => parsePvName('ca://', 'ca')).toThrow(/non-empty/);
  });
});

describe('sample decoding', () => {
  it('converts CA EPICS-epoch timestamps to Unix seconds and keeps arrays of one element', () => {
    const s = caSample('ca://X', { value: 4, status: 3, severity: 2, secondsSinceEpoch: 1_000_000_000, nanoSeconds: 500_000_000 }, true);
    expect(s.timestamp).toBe(1_000_000_000 + EPICS_EPOCH_OFFSET + 0.5);
    expect(EPICS_EPOCH_OFFSET).toBe(Date.UTC(1990, 0, 1) / 1000);
    expect(s.value).toEqual(Float64Array.of(4));
    expect([s.severity, s.status]).toEqual([2, 'HIHI']);
  });

  it('reads NTScalar structures (bigint seconds, alarm message)', () => {
    const s = pvaSample('pva://X', {
      value: [1, 2],
      alarm: { severity: 1, status: 3, message: 'HIGH' },
      timeStamp: { secondsPastEpoch: 1_700_000_000n, nanoseconds: 250_000_000, userTag: 0 },
    });
    expect(s).toEqual({ value: Float64Array.of(1, 2), timestamp: 1_700_000_000.25, severity: 1, status: 'HIGH', connected: true });
  });
});

describe('IOC database generation', () => {
  it('writes records with units, limits, precision, alarms and array lengths', () => {
    const db = generateDb([
      { name: 'SR:HCM1:I', type: 'double', units: 'A', limits: { low: -10, high: 10 }, precision: 4, alarm: { hihi: 9, lolo: -9 }, initial: 0.5 },
      { name: 'SR:BPM:X', type: 'double', length: 200, readonly: true, units: 'mm' },
      { name: 'SR:MODE', type: 'enum', states: ['Off', 'On'] },
      { name: 'SR:NAME', type: 'string', initial: 'a "quoted" \\ name' },
    ]);
    expect(db).toContain('record(ao, "SR:HCM1:I") {');
    for (const f of ['field(EGU, "A")', 'field(PREC, "4")', 'field(DRVL, "-10")', 'field(DRVH, "10")', 'field(LOPR, "-10")', 'field(HIHI, "9")', 'field(HHSV, "MAJOR")', 'field(LLSV, "MAJOR")', 'field(VAL, "0.5")']) {
      expect(db).toContain(f);
    }
    expect(db).toContain('record(waveform, "SR:BPM:X") {\n  field(FTVL, "DOUBLE")\n  field(NELM, "200")');
    expect(db).toContain('record(mbbo, "SR:MODE")');
    expect(db).toContain('field(ONST, "On")');
    expect(db).toContain('field(VAL, "a \\"quoted\\" \\\\ name")');
  });

  it('lets raw fields override generated ones', () => {
    const f = recordFields({ name: 'A', type: 'double', precision: 2, fields: { PREC: 5, SCAN: '1 second' } });
    expect(f.filter(([k]) => k === 'PREC')).toEqual([['PREC', 5]]);
    expect(f).toContainEqual(['SCAN', '1 second']);
  });

  it('rejects descriptions it cannot serve, naming the channel and field', () => {
    expect(() => generateDb([{ name: 'bad name', type: 'double' }])).toThrow(IocChannelError);
    expect(() => generateDb([{ name: 'A', type: 'double', length: 0 }])).toThrow(/'A': length/);
    expect(() => generateDb([{ name: 'A', type: 'double', initial: [1, 2] }])).toThrow(/'A': initial/);
    expect(() => generateDb([{ name: 'A', type: 'double', length: 2, initial: [1, 2, 3] }])).toThrow(/do not fit/);
    expect(() => generateDb([{ name: 'A', type: 'double' }, { name: 'A', type: 'long' }])).toThrow(/described twice/);
    expect(() => generateDb([{ name: 'A', type: 'double', fields: { bad: 1 } }])).toThrow(/fields.bad/);
  });
});
