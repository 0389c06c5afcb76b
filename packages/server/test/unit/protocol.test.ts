import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import { ClientMessageSchema, b64dbl, decodeB64dbl, protocolJsonSchema } from '../../src/index.js';

const DOC = join(__dirname, '../../../../docs/server-protocol.schema.json');

describe('server protocol', () => {
  it('docs/server-protocol.schema.json is the schema the code has (regenerate: node -e "...protocolJsonSchema()")', () => {
    expect(JSON.parse(readFileSync(DOC, 'utf8'))).toEqual(JSON.parse(JSON.stringify(protocolJsonSchema())));
  });

  it('the JSON Schema accepts PVWS messages and refuses what zod refuses', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(protocolJsonSchema());
    const good = [
      { type: 'subscribe', pvs: ['SR01A-PC-HSTR-01:SETI'] },
      { type: 'write', pv: 'X', value: 1.5 },
      { type: 'update', pv: 'X', b64dbl: 'AAAAAAAA8D8=', seconds: 1, nanos: 2, severity: 'MINOR' },
      { type: 'set', family: 'HCM', values: [1, 2], units: 'physics', devices: [[1, 1], [1, 2]] },
      { type: 'run', id: 1, run: { tool: 'orbit-correct', dryRun: true, method: { type: 'svd', threshold: 1e-3 } } },
      { type: 'run', run: { tool: 'orbit-measure-orm', kick: { x: 1e-5 } }, token: 't' },
      { type: 'run', run: { tool: 'tune-set', target: [0.2, 0.35] } },
      { type: 'run', run: { tool: 'chrom-set', target: [2, 2], points: 5 } },
      { type: 'abort', runId: 3 },
      { type: 'file-read', name: 'orm-1.h5', offset: 0, length: 1024 },
      { type: 'progress', runId: 1, tool: 'orbit-measure-orm', fraction: 0.5, step: 3, total: 6, message: 'HCM 1,1' },
      { type: 'result', runId: 1, tool: 'orbit-correct', status: 'aborted', message: 'aborted', files: [], restored: true },
    ];
    for (const m of good) expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
    const bad = [
      { type: 'subscribe', pvs: 'X' },
      { type: 'write', pv: 'X' },
      { type: 'set', family: 'HCM', values: [1], units: 'volts' },
      { type: 'run', run: { tool: 'orbit-bump' } },
      { type: 'run', run: { tool: 'tune-set', target: [0.2] } },
      { type: 'run', run: { tool: 'orbit-correct', gain: 2 } },
      { type: 'file-read', name: 'x.h5', length: 2 * 1024 * 1024 },
    ];
    for (const m of bad) {
      expect(ClientMessageSchema.safeParse(m).success).toBe(false);
      expect(validate(m)).toBe(false);
    }
  });

  it('b64dbl is little-endian float64, as PVWS sends arrays', () => {
    expect(b64dbl(new Float64Array([1]))).toBe('AAAAAAAA8D8=');
    expect(Array.from(decodeB64dbl(b64dbl(new Float64Array([1.5, -2e-6, 0]))))).toEqual([1.5, -2e-6, 0]);
  });
});
