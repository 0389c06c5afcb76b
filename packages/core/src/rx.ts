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

let subjects: RxSubjects | undefined;
let streaming: RxStreaming | undefined;

/** Observable, Subject and ReplaySubject, required on first use. */
export function rxSubjects(): RxSubjects {
  if (!subjects) {
    const require = createRequire(import.meta.url);
    subjects = {
      Observable: (require('rxjs/internal/Observable') as typeof import('rxjs/internal/Observable')).Observable,
      Subject: (require('rxjs/internal/Subject') as typeof import('rxjs/internal/Subject')).Subject,
      ReplaySubject: (require('rxjs/internal/ReplaySubject') as typeof import('rxjs/internal/ReplaySubject')).ReplaySubject,
    };
  }
  return subjects;
}

/** The stream operators, required when a stream is first built. */
export function rxStreaming(): RxStreaming {
  if (!streaming) {
    const require = createRequire(import.meta.url);
    streaming = {
      combineLatest: (require('rxjs/internal/observable/combineLatest') as typeof import('rxjs/internal/observable/combineLatest')).combineLatest,
      timer: (require('rxjs/internal/observable/timer') as typeof import('rxjs/internal/observable/timer')).timer,
      asyncScheduler: (require('rxjs/internal/scheduler/async') as typeof import('rxjs/internal/scheduler/async')).asyncScheduler,
      auditTime: (require('rxjs/internal/operators/auditTime') as typeof import('rxjs/internal/operators/auditTime')).auditTime,
      map: (require('rxjs/internal/operators/map') as typeof import('rxjs/internal/operators/map')).map,
      share: (require('rxjs/internal/operators/share') as typeof import('rxjs/internal/operators/share')).share,
      throttleTime: (require('rxjs/internal/operators/throttleTime') as typeof import('rxjs/internal/operators/throttleTime')).throttleTime,
    };
  }
  return streaming;
}
