/**
 * The messages of `mlayer server` at `/pvws/pv`, as zod schemas: the PVWS messages
 * (ORNL's PV Web Socket: subscribe, clear, write, ping, echo, list; update and error
 * replies) and mlayer's own (families, devices, get/set in physics or hardware units,
 * snapshots, the twin's error set; tool runs and measurement files: run-messages.ts). protocolJsonSchema() publishes them as JSON Schema
 * (docs/server-protocol.schema.json).
 */
import { z } from 'zod';
import {
  AbortSchema,
  FileDataReplySchema,
  FileReadSchema,
  FilesReplySchema,
  FilesSchema,
  ProgressReplySchema,
  ResultReplySchema,
  RunSchema,
  RunStartedReplySchema,
  RunStatusReplySchema,
  RunStatusSchema,
} from './run-messages.js';
import { OpticsReplySchema, OpticsSchema } from './optics-messages.js';

const id = z.union([z.string().max(200), z.number()]).optional().describe('echoed in the reply (mlayer messages)');
const token = z.string().max(200).optional().describe('the write token (else the one given by Authorization: Bearer or an auth message)');
const tool = z.string().max(200).optional().describe('what wrote: recorded in the audit log');
const units = z.enum(['hardware', 'physics']).optional();
const deviceIds = z.array(z.tuple([z.number().int(), z.number().int()])).max(10000).optional().describe('[[sector, index], ...]; default: the whole family');
const field = z.enum(['setpoint', 'readback', 'monitor']).optional();

export const SubscribeSchema = z.object({ type: z.literal('subscribe'), pvs: z.array(z.string().max(500)) }).strict();
export const ClearSchema = z.object({ type: z.literal('clear'), pvs: z.array(z.string().max(500)) }).strict();
export const WriteSchema = z.object({ type: z.literal('write'), pv: z.string().max(500), value: z.union([z.number(), z.string().max(100)]), token, tool }).strict();
export const PingSchema = z.object({ type: z.literal('ping') }).strict();
export const EchoSchema = z.object({ type: z.literal('echo'), body: z.string().max(1000).optional() }).strict();
export const ListSchema = z.object({ type: z.literal('list') }).strict();
export const AuthSchema = z.object({ type: z.literal('auth'), token: z.string().max(200) }).strict();
export const FamiliesSchema = z.object({ type: z.literal('families'), id }).strict();
export const DevicesSchema = z.object({ type: z.literal('devices'), family: z.string().max(200), id }).strict();
export const GetSchema = z.object({ type: z.literal('get'), family: z.string().max(200), units, field, devices: deviceIds, id }).strict();
export const SetSchema = z
  .object({ type: z.literal('set'), family: z.string().max(200), values: z.union([z.number(), z.array(z.number()).max(10000)]), units, devices: deviceIds, token, tool, id })
  .strict();
export const SnapshotSchema = z.object({ type: z.literal('snapshot'), id }).strict();
export const TwinStateSchema = z.object({ type: z.literal('twin-state'), id }).strict();
export const TwinErrorsSchema = z
  .object({ type: z.literal('twin-errors'), spec: z.record(z.string(), z.unknown()).describe('an error set, as the twin\'s error-set files hold it'), seed: z.number().int(), token, tool, id })
  .strict();
export const InfoSchema = z.object({ type: z.literal('info'), id }).strict();
export const ReadSchema = z.object({ type: z.literal('read'), pvs: z.array(z.string().max(500)).max(10000), id }).strict();
export const PutSchema = z
  .object({ type: z.literal('put'), writes: z.array(z.object({ pv: z.string().max(500), value: z.number() }).strict()).max(10000), token, tool, id })
  .strict()
  .describe('a batch of channel writes, applied through each family\'s set (limits checked for all before any is written)');
export const TwinResetSchema = z.object({ type: z.literal('twin-reset'), token, tool, id }).strict();
export const TwinFaultsSchema = z
  .object({
    type: z.literal('twin-faults'),
    action: z.enum(['add', 'clear']),
    faults: z.array(z.record(z.string(), z.unknown())).max(1000).optional().describe("faults to add, each { kind, start (ms on the twin's clock) or after (s), ... } as the twin checks them; all or none are added"),
    token,
    tool,
    id,
  })
  .strict();

/** Every message a client may send. */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  SubscribeSchema,
  ClearSchema,
  WriteSchema,
  PingSchema,
  EchoSchema,
  ListSchema,
  AuthSchema,
  FamiliesSchema,
  DevicesSchema,
  GetSchema,
  SetSchema,
  SnapshotSchema,
  TwinStateSchema,
  TwinErrorsSchema,
  TwinResetSchema,
  TwinFaultsSchema,
  InfoSchema,
  OpticsSchema,
  ReadSchema,
  PutSchema,
  RunSchema,
  AbortSchema,
  RunStatusSchema,
  FilesSchema,
  FileReadSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export const CLIENT_MESSAGE_TYPES = ClientMessageSchema.options.map((o) => o.shape.type.value);

/** PVWS's update: the value (number: value; string: text; array: b64dbl, little-endian float64), time, severity; metadata in the first update and when it changes. */
export const UpdateSchema = z.object({
  type: z.literal('update'),
  pv: z.string(),
  value: z.number().optional(),
  text: z.string().optional(),
  b64dbl: z.string().optional().describe('base64 of the array as little-endian float64'),
  seconds: z.number().int().optional(),
  nanos: z.number().int().optional(),
  severity: z.enum(['NONE', 'MINOR', 'MAJOR', 'INVALID', 'UNDEFINED']).optional(),
  readonly: z.boolean().optional(),
  units: z.string().optional(),
  precision: z.number().int().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  description: z.string().optional(),
});
export type UpdateMessage = z.infer<typeof UpdateSchema>;

export const ErrorReplySchema = z.object({ type: z.literal('error'), message: z.string(), pv: z.string().optional(), id: z.union([z.string(), z.number()]).optional() });
export const ListReplySchema = z.object({ type: z.literal('list'), pvs: z.array(z.string()) });
export const EchoReplySchema = z.object({ type: z.literal('echo'), body: z.string().optional() });
export const AuthReplySchema = z.object({ type: z.literal('auth'), writes: z.boolean() });
export const FamiliesReplySchema = z.object({
  type: z.literal('families'),
  id: z.union([z.string(), z.number()]).optional(),
  families: z.array(z.object({ name: z.string(), elementClass: z.string(), size: z.number().int(), fields: z.array(z.string()), memberOf: z.array(z.string()) })),
});
export const DevicesReplySchema = z.object({
  type: z.literal('devices'),
  id: z.union([z.string(), z.number()]).optional(),
  family: z.string(),
  devices: z.array(z.object({ device: z.tuple([z.number(), z.number()]), name: z.string(), limits: z.tuple([z.number(), z.number()]).nullable(), channels: z.record(z.string(), z.string()) })),
});
export const ValuesReplySchema = z.object({ type: z.literal('values'), id: z.union([z.string(), z.number()]).optional(), family: z.string(), units: z.string(), field: z.string(), values: z.array(z.number().nullable()) });
export const DoneReplySchema = z.object({ type: z.literal('done'), id: z.union([z.string(), z.number()]).optional(), request: z.string() });
export const SnapshotReplySchema = z.object({ type: z.literal('snapshot'), id: z.union([z.string(), z.number()]).optional(), snapshot: z.record(z.string(), z.unknown()) });
export const TwinStateReplySchema = z.object({
  type: z.literal('twin-state'),
  id: z.union([z.string(), z.number()]).optional(),
  seed: z.number().int().nullable(),
  errors: z.record(z.string(), z.unknown()).nullable(),
  faults: z.array(z.record(z.string(), z.unknown())).optional().describe('the injected faults, in order (start resolved)'),
});

export const InfoReplySchema = z.object({
  type: z.literal('info'),
  id: z.union([z.string(), z.number()]).optional(),
  facility: z.string(),
  mode: z.string(),
  online: z.boolean(),
  immediate: z.boolean().describe('a write with wait has taken effect when acknowledged and every later read reflects it (the twin)'),
  writes: z.boolean(),
  version: z.string(),
  writeBatches: z.number().int().describe('batches of channel writes applied so far (a burst of writes is applied as one)'),
  channelWrites: z.number().int().describe('channel writes in them'),
  modelComputations: z
    .object({ orbit: z.number().int(), tunes: z.number().int() })
    .nullable()
    .describe("the twin's model computations so far (closed orbits, tunes computed anew; cached readings not counted); null for another control system"),
});
export const SamplesReplySchema = z.object({
  type: z.literal('samples'),
  id: z.union([z.string(), z.number()]).optional(),
  samples: z.array(UpdateSchema.omit({ type: true })),
});

/** Every message the server sends. */
export const ServerMessageSchema = z.union([
  UpdateSchema,
  ErrorReplySchema,
  ListReplySchema,
  EchoReplySchema,
  AuthReplySchema,
  FamiliesReplySchema,
  DevicesReplySchema,
  ValuesReplySchema,
  DoneReplySchema,
  SnapshotReplySchema,
  TwinStateReplySchema,
  InfoReplySchema,
  SamplesReplySchema,
  OpticsReplySchema,
  RunStartedReplySchema,
  ProgressReplySchema,
  ResultReplySchema,
  RunStatusReplySchema,
  FilesReplySchema,
  FileDataReplySchema,
]);

/** The protocol as one JSON Schema document: client and server messages. */
export function protocolJsonSchema(): Record<string, unknown> {
  const opts = { io: 'input', unrepresentable: 'any' } as const;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'mlayer server protocol (WebSocket at /pvws/pv; PVWS-compatible for channels)',
    $defs: { client: z.toJSONSchema(ClientMessageSchema, opts), server: z.toJSONSchema(ServerMessageSchema, opts) },
    oneOf: [{ $ref: '#/$defs/client' }, { $ref: '#/$defs/server' }],
  };
}
