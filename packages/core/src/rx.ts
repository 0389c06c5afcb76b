/**
 * The parts of rxjs that core and the twin use, each from its own module.
 *
 * In Node, `import ... from 'rxjs'` gets rxjs's CommonJS build, whose index requires
 * every operator and observable of the library (about 0.15 CPU-seconds, and an ES
 * import runs the CommonJS lexer over each re-exported file); these few modules cost
 * about 0.01. They are rxjs's own files (its package exports `rxjs/internal/*`), so each
 * value here is the very object that `rxjs` exports (a unit test checks it): an
 * Observable made here is an Observable to code that imports `rxjs`, and the reverse.
 * Types are rxjs's own. Code off the start-up path may import `rxjs` directly.
 */
import { createRequire } from 'node:module';

export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { ReplaySubject } from 'rxjs/internal/ReplaySubject';

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

let streaming: RxStreaming | undefined;

/**
 * The stream operators, required from their own rxjs modules when a stream is first
 * built: a command that only reads and writes (`mlayer get`) loads none of them (they
 * and their dependencies are some 40 CommonJS modules, and an ES import of each runs
 * the CommonJS lexer over it: ~0.05 CPU-s). `require` gives the same module objects as
 * an import of the same files, so each is the object rxjs exports (a unit test checks).
 */
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
