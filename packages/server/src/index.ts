export { startServer, DEFAULT_LIMITS, PVWS_PATH, SERVER_VERSION, type ServerOptions, type RunningServer } from './mlayer-server.js';
export type { SessionLimits } from './client-session.js';
export {
  ClientMessageSchema,
  ServerMessageSchema,
  UpdateSchema,
  CLIENT_MESSAGE_TYPES,
  protocolJsonSchema,
  type ClientMessage,
  type UpdateMessage,
} from './protocol.js';
export { b64dbl, decodeB64dbl, severityName } from './pvws-update.js';
export { TwinState, type TwinStateFile } from './twin-state.js';
export { WriteGuard, type AuditEntry } from './write-guard.js';
