export { TwinControlSystem, type TwinOptions } from './twin-control-system.js';
export { registerTwin } from './register-twin.js';
export { TwinSettingsSchema, type TwinSettings, type TwinSettingsInput } from './settings.js';
export { ErrorSpecSchema, type ErrorSpec, type ErrorSpecInput } from './error-spec.js';
export { applyErrorSpec, type AppliedErrors } from './error-model.js';
export { familyRole, type TwinRole } from './twin-devices.js';
export { Random, deriveSeed } from './random.js';
export { trackKick, checkBunch, bpmReading, DEFAULT_TBT_BUNCH, TurnByTurnError, type TurnByTurnBunch, type TurnByTurnShot } from './turn-by-turn.js';
export { expandErrorGroups } from './error-groups.js';
