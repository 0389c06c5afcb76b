export { TwinControlSystem, type TwinOptions } from './twin/twin-control-system.js';
export { registerTwin } from './twin/register-twin.js';
export { TwinSettingsSchema, type TwinSettings, type TwinSettingsInput } from './twin/settings.js';
export { ErrorSpecSchema, type ErrorSpec, type ErrorSpecInput } from './twin/error-spec.js';
export { applyErrorSpec, type AppliedErrors } from './twin/error-model.js';
export { Random } from './twin/random.js';
export { trackKick, checkBunch, TurnByTurnError, type TurnByTurnBunch, type TurnByTurnShot } from './twin/turn-by-turn.js';
export { expandErrorGroups } from './twin/error-groups.js';
export { applyErrorSetFile } from './twin/apply-error-set-file.js';
