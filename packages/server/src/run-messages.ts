/**
 * The protocol's tool runs and measurement files, as zod schemas (protocol.ts puts them in
 * the client and server unions): `run` starts a tool (orbit correction with a dry-run
 * preview, response-matrix measurement, tune set, chromaticity set), `progress` and
 * `result` follow it, `abort` stops it (what it changed is restored), `run-status` says
 * what runs; `files` lists the measurement files and `file-read` downloads one in chunks.
 */
import { z } from 'zod';

const id = z.union([z.string().max(200), z.number()]).optional().describe('echoed in the reply');
const replyId = z.union([z.string(), z.number()]).optional();
const token = z.string().max(200).optional().describe('the write token (else the one given by Authorization: Bearer or an auth message)');
const positiveInt = (max: number) => z.number().int().min(1).max(max);
const pair = z.tuple([z.number(), z.number()]);

export const CorrectionMethodSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('svd'), singularValues: positiveInt(10000).optional().describe('keep at most this many singular values'), threshold: z.number().min(0).max(1).optional().describe('keep s >= threshold * s_max (default 1e-3)') }).strict(),
    z.object({ type: z.literal('tikhonov'), alpha: z.number().positive() }).strict(),
    z.object({ type: z.literal('micado'), correctors: positiveInt(10000) }).strict(),
  ])
  .describe('how the correction is solved (default SVD, threshold 1e-3)');

export const OrbitCorrectRunSchema = z
  .object({
    tool: z.literal('orbit-correct'),
    dryRun: z.boolean().optional().describe('preview: one step computed from the orbit read now, nothing written; the result has the predicted orbit and the singular values used'),
    orm: z.string().max(500).optional().describe("'model' (default unless the facility names a measured matrix) or a response-matrix file of the data folder (a name as `files` lists it)"),
    method: CorrectionMethodSchema.optional(),
    target: z.enum(['zero', 'golden']).optional().describe("the orbit steered to: the facility's golden orbit (tools.orbit.golden; default when it has one) or zero"),
    offsets: z.boolean().optional().describe("subtract the facility's BPM offsets (tools.orbit.offsets; default true)"),
    iterations: positiveInt(50).optional().describe('most correction steps (default 5; a preview makes one)'),
    gain: z.number().gt(0).max(1).optional().describe('fraction of each step applied (default 1)'),
    rf: z.boolean().optional().describe('also correct with the RF frequency (the matrix needs its RF column)'),
    average: positiveInt(1000).optional().describe('orbit readings averaged (default 1)'),
    save: z.boolean().optional().describe('write the correction file to the data folder (default true, not for a preview)'),
  })
  .strict();

export const OrbitMeasureOrmRunSchema = z
  .object({
    tool: z.literal('orbit-measure-orm'),
    kick: z
      .object({ x: z.number().positive().optional(), y: z.number().positive().optional() })
      .strict()
      .optional()
      .describe("half-amplitude of each corrector's bipolar step per plane, physics units (rad); default the facility's tools.orbit.ormStep"),
    average: positiveInt(1000).optional().describe('orbit readings averaged per step (default 1)'),
    save: z.boolean().optional().describe('write the matrix to the data folder (default true)'),
  })
  .strict();

export const TuneSetRunSchema = z
  .object({
    tool: z.literal('tune-set'),
    target: pair.describe('fractional tunes [qx, qy] in [0, 1)'),
    families: z.array(z.string().max(200)).min(2).max(20).optional().describe("quadrupole families stepped (default the facility's tools.tune.families)"),
    iterations: positiveInt(20).optional().describe('most steps (default 3)'),
    tolerance: z.number().positive().optional().describe('stop within this of the target (default 1e-4)'),
  })
  .strict();

export const ChromSetRunSchema = z
  .object({
    tool: z.literal('chrom-set'),
    target: pair.describe('chromaticities [ξx, ξy]'),
    families: z.array(z.string().max(200)).min(2).max(20).optional().describe("sextupole families stepped (default the facility's tools.chromaticity.families)"),
    iterations: positiveInt(20).optional().describe('most steps (default 3)'),
    tolerance: z.number().positive().optional().describe('stop within this of the target (default 0.05)'),
    points: positiveInt(50).optional().describe('RF points of each chromaticity measurement (default 7)'),
    range: z.number().positive().max(0.05).optional().describe('momentum range of the scan, ±dp/p (default 0.002)'),
  })
  .strict();

export const RunRequestSchema = z.discriminatedUnion('tool', [OrbitCorrectRunSchema, OrbitMeasureOrmRunSchema, TuneSetRunSchema, ChromSetRunSchema]);
export type RunRequest = z.infer<typeof RunRequestSchema>;
export const RUN_TOOLS = RunRequestSchema.options.map((o) => o.shape.tool.value);

export const RunSchema = z
  .object({ type: z.literal('run'), run: RunRequestSchema, token, id })
  .strict()
  .describe('starts a tool run (one at a time per server; it writes, so it needs the write token like other writes)');
export const AbortSchema = z
  .object({ type: z.literal('abort'), runId: z.number().int().optional().describe('the run to abort (default: the one running)'), token, id })
  .strict()
  .describe('aborts the run: what it changed is restored; the run ends with a result of status aborted');
export const RunStatusSchema = z
  .object({ type: z.literal('run-status'), watch: z.boolean().optional().describe('also send this client the progress and result of every later run, whoever started it'), id })
  .strict();
export const FilesSchema = z.object({ type: z.literal('files'), id }).strict().describe('lists the measurement files of the data folder');
export const FileReadSchema = z
  .object({
    type: z.literal('file-read'),
    name: z.string().max(500).describe('a name as `files` lists it'),
    offset: z.number().int().min(0).optional().describe('first byte (default 0)'),
    length: positiveInt(1024 * 1024).optional().describe('most bytes in the reply (default 262144, at most 1 MiB)'),
    id,
  })
  .strict()
  .describe('reads one chunk of a measurement file; ask again from offset + bytes until eof');

const runState = z.object({
  runId: z.number().int(),
  tool: z.enum(RUN_TOOLS as [string, ...string[]]),
  client: z.string().describe('address:port of the client that started it'),
  started: z.string().describe('ISO time'),
  dryRun: z.boolean(),
});

export const RunStartedReplySchema = runState.extend({ type: z.literal('run-started'), id: replyId });
export const ProgressReplySchema = z.object({
  type: z.literal('progress'),
  runId: z.number().int(),
  tool: z.string(),
  fraction: z.number().min(0).max(1).describe('of the run done (an estimate where the tool stops early when converged)'),
  step: z.number().int(),
  total: z.number().int(),
  message: z.string(),
});
export const ResultReplySchema = z.object({
  type: z.literal('result'),
  id: replyId.describe("the run message's id"),
  runId: z.number().int(),
  tool: z.string(),
  status: z.enum(['done', 'failed', 'aborted']),
  message: z.string(),
  result: z.record(z.string(), z.unknown()).optional().describe('what the tool returns (status done); see docs/server-protocol.md per tool'),
  files: z.array(z.string()).describe('measurement files written (names as `files` lists them)'),
  restored: z.boolean().describe('setpoints the run changed were restored (aborted or failed)'),
});
export const RunStatusReplySchema = z.object({
  type: z.literal('run-status'),
  id: replyId,
  running: runState.nullable(),
  last: z.object({ runId: z.number().int(), tool: z.string(), status: z.string(), message: z.string(), files: z.array(z.string()) }).nullable(),
});
const fileEntry = z.object({ name: z.string(), size: z.number().int(), modified: z.string() });
export const FilesReplySchema = z.object({ type: z.literal('files'), id: replyId, files: z.array(fileEntry) });
export const FileDataReplySchema = z.object({
  type: z.literal('file-data'),
  id: replyId,
  name: z.string(),
  size: z.number().int().describe('of the whole file'),
  offset: z.number().int(),
  bytes: z.number().int().describe('in this chunk'),
  b64: z.string().describe('the chunk, base64'),
  eof: z.boolean(),
  sha256: z.string().optional().describe('of the whole file, in the reply at offset 0'),
});
