/**
 * The commissioning sequence: a YAML file of ordered stages, each a tool call with
 * its parameters, a success criterion and what to do on failure. Everything is
 * checked before anything runs: an unknown stage, a parameter of the wrong type,
 * an unknown figure in a criterion, or an impossible order (a stage that needs a
 * stored beam before the beam is stored) is a ConfigError naming file:line:column,
 * the path in the file and the value.
 *
 * ```yaml
 * name: tiny
 * beam: stored              # the machine at the start: none (default) or stored
 * targets: { tunes: [0.17, 0.23] }
 * stages:
 *   - stage: orbit-correction
 *     parameters: { iterations: 3 }
 *     success: { orbit_true_rms_x: { max: 1.0e-4 } }
 *     onFailure: { retry: [{ svThreshold: 1.0e-2 }], then: skip }
 * ```
 */
import { readFileSync } from 'node:fs';
import { type ConfigIssue, ConfigError, formatPath, parseSource, valueAt } from '@mlayer/core';
import { sha256Of } from '@mlayer/data';
import { z } from 'zod';
import { FIGURE_NAMES } from './figure-names.js';
import { BEAM_ORDER, type BeamState, STAGE_INFO, STAGE_KINDS, STAGE_PARAMETERS, type StageKind } from './stage-kinds.js';

export interface Criterion {
  readonly min?: number;
  readonly max?: number;
}

export interface OnFailure {
  /** Parameter sets tried in turn after a failure (each merged over the stage's parameters). */
  readonly retry: readonly Readonly<Record<string, unknown>>[];
  /** After the last retry failed: stop the seed, or skip to the next stage. */
  readonly then: 'stop' | 'skip';
}

export interface Stage {
  readonly kind: StageKind;
  /** Unique name in the sequence (default: the kind, numbered when repeated). */
  readonly name: string;
  /** Parameters after defaults, per attempt: [0] the stage's own, then one per retry. */
  readonly attempts: readonly Readonly<Record<string, unknown>>[];
  readonly success: Readonly<Record<string, Criterion>>;
  readonly onFailure: OnFailure;
}

export interface Sequence {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  /** The beam at the start. */
  readonly beam: BeamState;
  readonly targets: { readonly tunes?: readonly [number, number]; readonly chromaticity?: readonly [number, number] };
  readonly stages: readonly Stage[];
  /** The file's text and its SHA-256 (kept in every record). */
  readonly text: string;
  readonly sha256: string;
}

const pair = z.tuple([z.number(), z.number()]);
const criterion = z.strictObject({ min: z.number().optional(), max: z.number().optional() });
const onFailure = z.union([
  z.enum(['stop', 'skip']),
  z.strictObject({ retry: z.array(z.record(z.string(), z.unknown())).default([]), then: z.enum(['stop', 'skip']).default('stop') }),
]);
const StageSchema = z.strictObject({
  stage: z.string(),
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  success: z.record(z.string(), criterion).default({}),
  onFailure: onFailure.default('stop'),
});
const SequenceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  description: z.string().optional(),
  beam: z.enum(['none', 'stored']).default('none'),
  targets: z.strictObject({ tunes: pair.optional(), chromaticity: pair.optional() }).default({}),
  stages: z.array(z.unknown()).min(1),
});

/** Reads and checks a sequence file. */
export function readSequence(file: string): Sequence {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', undefined, `a readable sequence file is required (${(e as Error).message})`);
  }
  return parseSequence(text, file);
}

/** Checks a sequence given as text; `file` names it in errors. */
export function parseSequence(text: string, file: string): Sequence {
  const { doc: source, errors } = parseSource(text);
  if (!source) throw ConfigError.fromIssues(errors.map((e) => ({ file, path: '', value: undefined, expected: `valid YAML: ${e.message}`, line: e.line, column: e.column })));
  const data = source.data;
  const issues: ConfigIssue[] = [];
  const add = (path: readonly PropertyKey[], expected: string, value: unknown = valueAt(data, path)) => {
    const at = source.locate(path);
    issues.push({ file, path: formatPath(path), value, expected, line: at?.line, column: at?.column });
  };
  const addZod = (prefix: readonly PropertyKey[], error: z.ZodError, fields?: readonly string[]) => {
    for (const issue of error.issues) {
      let path = [...prefix, ...issue.path];
      let expected = issue.message;
      if (issue.code === 'unrecognized_keys') {
        path = [...path, issue.keys[0]];
        expected = `a known field (${issue.keys.join(', ')} unknown${fields && issue.path.length === 0 ? `; fields: ${fields.join(', ')}` : allowedKeys(prefix, issue.path)})`;
      }
      add(path, expected);
    }
  };
  const top = SequenceSchema.safeParse(data);
  if (!top.success) {
    addZod([], top.error);
    throw ConfigError.fromIssues(issues);
  }
  const seq = top.data;
  const stages: Stage[] = [];
  const names = new Set<string>();
  let beam: BeamState = seq.beam;
  let previous: StageKind | undefined;
  let centred = false;
  seq.stages.forEach((raw, i) => {
    const at = ['stages', i] as const;
    const s = StageSchema.safeParse(raw);
    if (!s.success) {
      addZod(at, s.error);
      return;
    }
    const kind = s.data.stage as StageKind;
    if (!STAGE_KINDS.includes(kind)) {
      add([...at, 'stage'], `a known stage (${STAGE_KINDS.join(', ')})`);
      return;
    }
    const params = STAGE_PARAMETERS[kind];
    const attempts: Record<string, unknown>[] = [];
    const own = params.safeParse(s.data.parameters);
    if (own.success) attempts.push(own.data);
    else addZod([...at, 'parameters'], own.error, Object.keys(params.shape));
    const failure: OnFailure = typeof s.data.onFailure === 'string' ? { retry: [], then: s.data.onFailure } : s.data.onFailure;
    failure.retry.forEach((r, k) => {
      const p = params.safeParse({ ...s.data.parameters, ...r });
      if (p.success) attempts.push(p.data);
      else addZod([...at, 'onFailure', 'retry', k], p.error, Object.keys(params.shape));
    });
    const info = STAGE_INFO[kind];
    const known = new Set<string>([...FIGURE_NAMES, ...info.values]);
    for (const [key, c] of Object.entries(s.data.success)) {
      if (!known.has(key)) add([...at, 'success', key], `a figure of merit or a value of stage ${kind} (${[...known].join(', ')})`, key);
      else if (c.min === undefined && c.max === undefined) add([...at, 'success', key], 'a criterion with min and/or max');
    }
    if (kind === 'orbit-correction') {
      const targets = new Set(attempts.map((a) => a.offsets));
      if (targets.has('centres') && previous !== 'bba') add([...at, 'parameters', 'offsets'], "offsets: centres right after a 'bba' stage (the centring starts from the orbit the BBA measured from)", 'centres');
      if (targets.has('golden') && !centred) add([...at, 'parameters', 'offsets'], "offsets: golden after an orbit-correction stage with offsets: centres (the golden orbit is the readings after it)", 'golden');
      if (targets.has('centres')) centred = true;
    }
    previous = kind;
    if (BEAM_ORDER[beam] < BEAM_ORDER[info.needs]) {
      const before = info.needs === 'stored' ? "a 'store' stage" : "an 'inject-thread' stage";
      add([...at, 'stage'], `a stage that the beam allows here: ${kind} needs a ${info.needs} beam and the beam is ${beam === 'none' ? 'not injected' : beam} at this point (put ${before} before it, or start with beam: stored)`, kind);
    }
    if (info.gives && BEAM_ORDER[info.gives] > BEAM_ORDER[beam]) beam = info.gives;
    let name = s.data.name ?? kind;
    if (s.data.name === undefined) for (let n = 2; names.has(name); n++) name = `${kind}-${n}`;
    if (names.has(name)) add([...at, 'name'], 'a stage name used once in the sequence');
    names.add(name);
    stages.push({ kind, name, attempts, success: s.data.success, onFailure: failure });
  });
  if (issues.length > 0) throw ConfigError.fromIssues(issues);
  return { file, name: seq.name, description: seq.description, beam: seq.beam, targets: seq.targets as Sequence['targets'], stages, text, sha256: sha256Of(text) };
}

function allowedKeys(prefix: readonly PropertyKey[], inner: readonly PropertyKey[]): string {
  if (prefix.length === 0 && inner.length === 0) return `; fields: ${Object.keys(SequenceSchema.shape).join(', ')}`;
  if (prefix.length === 2 && inner.length === 0) return `; fields: ${Object.keys(StageSchema.shape).join(', ')}`;
  return '';
}

/** Stages this build cannot run; the runner refuses the sequence before anything runs. */
export function unavailableStages(seq: Sequence, available: ReadonlySet<StageKind>): string[] {
  return seq.stages.filter((s) => !available.has(s.kind)).map((s) => s.name);
}
