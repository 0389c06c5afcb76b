/** Help texts shared by the option definitions of several commands. */

export const SETTLE_HELP = "extra wait after each step, ms, on top of the facility's settle times and fresh-data waits";

/** The protocols of `mlayer serve --protocol` (serve-actions.ts loads each one's server). */
export const SERVE_PROTOCOLS = ['tango', 'epics'] as const;
