import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { facilityJsonSchema } from '../../src/index.js';
import { RING } from '../helpers.js';

describe('JSON Schema export of the facility configuration', () => {
  const schema = facilityJsonSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);

  it('is a draft 2020-12 schema listing the top-level keys', () => {
    expect(schema.$schema).toMatch(/2020-12/);
    const props = schema.properties as Record<string, unknown>;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['name', 'energy', 'controlSystems', 'families', 'unitConversions', 'lattice']));
    expect(schema.additionalProperties).toBe(false);
  });

  it('validates the example facility file', () => {
    const data = parse(readFileSync(RING, 'utf8'));
    const ok = validate(data);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects what the zod schema rejects (unknown key, bad limits type, missing units)', () => {
    const data = parse(readFileSync(RING, 'utf8'));
    data.families.HCM.fields.setpoint.limit = [0, 1];
    expect(validate(data)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('limit');
    const d2 = parse(readFileSync(RING, 'utf8'));
    d2.families.HCM.fields.setpoint.limits = 'wide';
    expect(validate(d2)).toBe(false);
    const d3 = parse(readFileSync(RING, 'utf8'));
    delete d3.families.QF.fields.setpoint.units;
    expect(validate(d3)).toBe(false);
  });
});
