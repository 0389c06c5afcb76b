import type { ZodType } from 'zod';
import { ConfigError, MlayerError } from '../errors.js';
import type { ControlSystem } from './control-system.js';

/** What a control-system factory gets besides its validated settings. */
export interface ControlSystemBuildContext {
  /** Name of the control system in the facility file ('twin', 'epics', ...). */
  readonly name: string;
  /** The facility file (for error messages and relative paths). */
  readonly file: string;
  resolvePath(relative: string): string;
  /**
   * Everything else the application passes through (the loaded facility, the
   * unit-conversion registry, ...); adapters that need it (the twin) check it.
   */
  readonly extras: Readonly<Record<string, unknown>>;
  /** Line and column of a path in the facility file (for settings errors), when known. */
  locate?(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

/** A kind of control system (the `type:` of a control system in the facility file). */
export interface ControlSystemFactory<Settings = unknown> {
  readonly type: string;
  readonly description: string;
  /** True when the control system drives a real machine (writes need allowWrites). */
  readonly online: boolean;
  readonly settingsSchema: ZodType<Settings>;
  create(settings: Settings, context: ControlSystemBuildContext): ControlSystem | Promise<ControlSystem>;
}

/** Known adapter packages, to name the one to install when a type is missing. */
const KNOWN_PACKAGES: Record<string, string> = {
  twin: '@mlayer/adapters-sim',
  epics: '@mlayer/adapters-epics',
  tango: '@mlayer/adapters-tango',
};

export class UnknownControlSystemError extends MlayerError {}

/**
 * Registry of control-system types, filled by the adapter packages
 * (`registerEpics(registry)`, ...). An instance, never a global.
 */
export class ControlSystemRegistry {
  private readonly factories = new Map<string, ControlSystemFactory<unknown>>();

  register<S>(factory: ControlSystemFactory<S>): this {
    this.factories.set(factory.type, factory as ControlSystemFactory<unknown>);
    return this;
  }

  has(type: string): boolean {
    return this.factories.has(type);
  }

  get(type: string): ControlSystemFactory<unknown> {
    const f = this.factories.get(type);
    if (!f) {
      const pkg = KNOWN_PACKAGES[type];
      throw new UnknownControlSystemError(
        `no adapter registered for control-system type '${type}'` +
          (pkg ? `; install and register ${pkg}` : `; registered types: ${[...this.factories.keys()].join(', ') || 'none'}`),
      );
    }
    return f;
  }

  async create(type: string, rawSettings: unknown, context: ControlSystemBuildContext): Promise<ControlSystem> {
    const factory = this.get(type);
    const parsed = factory.settingsSchema.safeParse(rawSettings ?? {});
    if (!parsed.success) {
      // Every issue, each with its path, the value there and its line in the facility file.
      throw ConfigError.fromIssues(
        parsed.error.issues.map((issue) => {
          const base: PropertyKey[] = ['controlSystems', context.name, 'settings'];
          let path: PropertyKey[] = [...base, ...issue.path];
          let expected = issue.message;
          if (issue.code === 'unrecognized_keys') {
            path = [...path, issue.keys[0]];
            expected = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.map((k) => `'${k}'`).join(', ')}` : ` '${issue.keys[0]}'`}`;
          }
          const pos = context.locate?.(path) ?? context.locate?.([...base, ...issue.path]);
          return { file: context.file, path: path.map(String).join('.'), value: valueAt(rawSettings, path.slice(base.length)), expected, line: pos?.line, column: pos?.column };
        }),
      );
    }
    return factory.create(parsed.data, context);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
