/**
 * The parts of rxjs that core and the twin use, each from its own module, required when
 * first used.
 *
 * In Node, `import ... from 'rxjs'` gets rxjs's CommonJS build, whose index requires
 * every operator and observable of the library (about 0.15 CPU-seconds, and an ES
 * import runs the CommonJS lexer over each re-exported file). Here each part comes from
 * its own file (its package exports `rxjs/internal/*`), and only when a stream is first
 * built: a command that only reads and writes (`mlayer get`) loads no rxjs module at all
 * (the subjects are some 25 CommonJS modules, the operators some 40 more: ~0.04 and
 * ~0.03 CPU-s). `require` gives the same module objects as an import of the same files,
 * so each value is the very object that `rxjs` exports (a unit test checks it): an
 * Observable made here is an Observable to code that imports `rxjs`, and the reverse.
 * Types are rxjs's own. Code off the start-up path may import `rxjs` directly.
 */
import { createRequire } from 'node:module';

export type { Observable, Subject, ReplaySubject } from 'rxjs';

/** The classes streams are made of. */
export interface RxSubjects {
  readonly Observable: typeof import('rxjs').Observable;
  readonly Subject: typeof import('rxjs').Subject;
  readonly ReplaySubject: typeof import('rxjs').ReplaySubject;
}

/** The operators and creation functions of the streams core builds (Family.watch, ChannelAccess.monitor). */
export interface RxStreaming {
  readonly combineLatest: typeof import('rxjs').combineLatest;
  readonly timer: typeof import('rxjs').timer;
  readonly asyncScheduler: typeof import('rxjs').asyncScheduler;
  readonly auditTime: typeof import('rxjs').auditTime;
  readonly map: typeof import('rxjs').map;
  readonly share: typeof import('rxjs').share;
  readonly throttleTime: typeof import('rxjs').throttleTime;
}

/** A value built on the first call, then kept. */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

// rxjs's own files (its package exports `rxjs/internal/*`), as CommonJS modules.
const require = createRequire(import.meta.url);
const load = <T>(path: string): T => require(path) as T;

/** Observable, Subject and ReplaySubject, required on first use. */
export const rxSubjects: () => RxSubjects = once(() => ({
  Observable: load<typeof import('rxjs/internal/Observable')>('rxjs/internal/Observable').Observable,
  Subject: load<typeof import('rxjs/internal/Subject')>('rxjs/internal/Subject').Subject,
  ReplaySubject: load<typeof import('rxjs/internal/ReplaySubject')>('rxjs/internal/ReplaySubject').ReplaySubject,
}));

/** The stream operators, required when a stream is first built. */
export const rxStreaming: () => RxStreaming = once(() => ({
  combineLatest: load<typeof import('rxjs/internal/observable/combineLatest')>('rxjs/internal/observable/combineLatest').combineLatest,
  timer: load<typeof import('rxjs/internal/observable/timer')>('rxjs/internal/observable/timer').timer,
  asyncScheduler: load<typeof import('rxjs/internal/scheduler/async')>('rxjs/internal/scheduler/async').asyncScheduler,
  auditTime: load<typeof import('rxjs/internal/operators/auditTime')>('rxjs/internal/operators/auditTime').auditTime,
  map: load<typeof import('rxjs/internal/operators/map')>('rxjs/internal/operators/map').map,
  share: load<typeof import('rxjs/internal/operators/share')>('rxjs/internal/operators/share').share,
  throttleTime: load<typeof import('rxjs/internal/operators/throttleTime')>('rxjs/internal/operators/throttleTime').throttleTime,
}));
