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
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { ReplaySubject } from 'rxjs/internal/ReplaySubject';
export { combineLatest } from 'rxjs/internal/observable/combineLatest';
export { timer } from 'rxjs/internal/observable/timer';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';
export { auditTime } from 'rxjs/internal/operators/auditTime';
export { map } from 'rxjs/internal/operators/map';
export { share } from 'rxjs/internal/operators/share';
export { throttleTime } from 'rxjs/internal/operators/throttleTime';
