/**
 * Typed errors of mlayer. Every error carries enough context (channel, device,
 * file and path) to be understood without a stack trace.
 */
export class MlayerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An operation on a channel did not complete in time. */
export class TimeoutError extends MlayerError {
  constructor(
    readonly channel: string,
    readonly timeoutMs: number,
    operation = 'operation',
  ) {
    super(`${operation} on '${channel}' timed out after ${timeoutMs} ms`);
  }
}

/** The channel is not connected (server down, channel missing). */
export class DisconnectedError extends MlayerError {
  constructor(
    readonly channel: string,
    detail = 'not connected',
  ) {
    super(`channel '${channel}': ${detail}`);
  }
}

/** The server (or the safety layer) refused a write. */
export class WriteRejectedError extends MlayerError {
  constructor(
    readonly channel: string,
    readonly reason: string,
  ) {
    super(`write to '${channel}' rejected: ${reason}`);
  }
}

/** A value lies outside the limits of a device; nothing was written. */
export class OutOfLimitsError extends MlayerError {
  constructor(
    readonly target: string,
    readonly value: number,
    readonly limits: readonly [number, number],
  ) {
    super(`${target}: value ${value} is outside the limits [${limits[0]}, ${limits[1]}]; nothing was written`);
  }
}

/** One problem in a configuration file. */
export interface ConfigIssue {
  readonly file: string;
  /** Dotted path in the file ('families.HCM.devices[3].limits'). */
  readonly path: string;
  readonly value: unknown;
  /** What was expected, in words. */
  readonly expected: string;
  readonly line?: number;
  readonly column?: number;
}

export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}:${i.column ?? 1}` : i.file;
  return `${where}: ${i.path || '(root)'}: ${i.expected} (got ${describeValue(i.value)})`;
}

/**
 * A configuration error names the file, the path in it, the value and what was
 * expected (with line and column when the file is YAML or JSON). One error may
 * carry several issues found in the same file.
 */
export class ConfigError extends MlayerError {
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, path: string, value: unknown, expected: string, line?: number, column?: number) {
    const issue: ConfigIssue = { file, path, value, expected, line, column };
    super(formatConfigIssue(issue));
    this.issues = [issue];
  }

  static fromIssues(issues: readonly ConfigIssue[]): ConfigError {
    const first = issues[0];
    const err = new ConfigError(first.file, first.path, first.value, first.expected, first.line, first.column);
    (err as { issues: readonly ConfigIssue[] }).issues = issues;
    err.message = issues.map(formatConfigIssue).join('\n');
    return err;
  }

  get file(): string {
    return this.issues[0].file;
  }
  get path(): string {
    return this.issues[0].path;
  }
  get value(): unknown {
    return this.issues[0].value;
  }
}

/** A measurement or operation was aborted through its AbortSignal. */
export class AbortedError extends MlayerError {
  constructor(reason = 'aborted') {
    super(reason);
  }
}

/** Writes to an online control system were not enabled. */
export class WritesNotAllowedError extends MlayerError {
  constructor(readonly mode: string) {
    super(
      `writes to the online control system '${mode}' are disabled; ` +
        `pass allowWrites: true (CLI: --yes) to enable them`,
    );
  }
}

/** Two measurements tried to drive the same devices at once. */
export class DeviceBusyError extends MlayerError {
  constructor(
    readonly channels: readonly string[],
    readonly owner: string,
  ) {
    super(`devices busy: ${channels.slice(0, 5).join(', ')}${channels.length > 5 ? ', ...' : ''} are locked by '${owner}'`);
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    // A long or binary value (a file that is not YAML at all) is quoted as a short excerpt.
    const s = JSON.stringify(value.length > 80 ? value.slice(0, 60).replace(/[\u0000-\u001f\u007f]/g, '?') : value);
    return value.length > 80 ? `${s.slice(0, -1)}..." (${value.length} characters)` : s;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
