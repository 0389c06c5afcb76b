import { describe, it, expect } from 'vitest';
import { ConfigError, ControlSystemRegistry } from '@mlayer/core';
import { parseTangoChannel, parseTangoDevice, TangoChannelError } from '../../src/channel.js';
import { qualityToSeverity, readingValue } from '../../src/sample-mapping.js';
import { registerTango } from '../../src/register.js';
import { tangoSettingsSchema } from '../../src/settings.js';
import type { NativeReading } from '../../src/native-binding.js';

describe('TANGO channel names', () => {
  it('parses full names with the database address', () => {
    const c = parseTangoChannel('tango://db.example.org:10000/SR/mag/Q1/Current', undefined);
    expect(c).toMatchObject({ host: 'db.example.org:10000', deviceName: 'SR/mag/Q1', device: 'tango://db.example.org:10000/SR/mag/Q1', attribute: 'Current' });
  });

  it('uses the default database for short names and refuses them without one', () => {
    expect(parseTangoChannel('sys/tg_test/1/double_scalar', '127.0.0.1:20000').device).toBe('tango://127.0.0.1:20000/sys/tg_test/1');
    expect(() => parseTangoChannel('sys/tg_test/1/double_scalar', undefined)).toThrow(/TANGO_HOST/);
  });

  it('names the channel and the expected form on malformed names', () => {
    for (const bad of ['sys/tg_test/double_scalar', 'tango://nohostport/a/b/c/d', 'a/b/c/d/e', 'a//c/d']) {
      expect(() => parseTangoChannel(bad, 'h:1')).toThrow(TangoChannelError);
      expect(() => parseTangoChannel(bad, 'h:1')).toThrow(bad);
    }
  });

  it('parses device names for commands', () => {
    expect(parseTangoDevice('sr/mag/q1', 'h:1').device).toBe('tango://h:1/sr/mag/q1');
    expect(parseTangoDevice('tango://h:2/sr/mag/q1', 'h:1').device).toBe('tango://h:2/sr/mag/q1');
  });
});

describe('TANGO qualities and values', () => {
  it('maps qualities onto alarm severities (VALID 0, WARNING/CHANGING 1, ALARM 2, INVALID 3)', () => {
    expect([0, 4, 3, 2, 1].map((q) => qualityToSeverity(q).severity)).toEqual([0, 1, 1, 2, 3]);
    expect(qualityToSeverity(4).status).toBe('ATTR_WARNING');
    expect(qualityToSeverity(0).status).toBe('NO_ALARM');
  });

  it('gives state names, NaN for empty readings, and refuses string spectra', () => {
    const base: NativeReading = { name: 'x', type: 19, typeName: 'DevState', format: 0, quality: 0, timestamp: 1, dimX: 1, dimY: 0, value: new Float64Array([10]) };
    expect(readingValue(base)).toBe('RUNNING');
    expect(readingValue({ ...base, type: 5, typeName: 'DevDouble', value: null, quality: 1 })).toBeNaN();
    expect(() => readingValue({ ...base, type: 8, typeName: 'DevString', format: 1, value: ['a', 'b'] })).toThrow(/spectrum of strings/);
  });
});

describe('registerTango', () => {
  it('registers an online type with a strict settings schema', async () => {
    const registry = registerTango(new ControlSystemRegistry());
    const f = registry.get('tango');
    expect(f.online).toBe(true);
    expect(tangoSettingsSchema.parse({})).toEqual({ timeout: 3000, eventType: 'change' });
    const context = { name: 'machine', file: 'facility.yaml', resolvePath: (p: string) => p, extras: {} };
    await expect(registry.create('tango', { tangoHost: 'nohost' }, context)).rejects.toThrow(ConfigError);
    await expect(registry.create('tango', { tangoHost: 'nohost' }, context)).rejects.toThrow(/controlSystems\.machine\.settings\.tangoHost/);
    await expect(registry.create('tango', { timeout: 100, extra: 1 }, context)).rejects.toThrow(/extra/);
  });
});
