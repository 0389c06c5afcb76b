/**
 * The interactive session of `mlayer shell`: Node's REPL with MML's vocabulary in its
 * context, calls awaited for the user (auto-await.ts), one evaluation at a time (a
 * pasted or piped script runs its lines in order), results printed readably
 * (format.ts), errors as one line without ending the session, tab completion of
 * functions, families and devices (completer.ts), Ctrl-C aborting what runs, Ctrl-D or
 * .exit ending it.
 */
import repl, { type REPLServer } from 'node:repl';
import { autoAwait } from './auto-await.js';
import { complete, type CompletionSource } from './completer.js';
import { formatResult } from './format.js';
import { FAMILY_FUNCTIONS, type ShellVocabulary } from './functions.js';
import type { ShellTarget } from './target.js';
import { shownMode } from '../recording-session.js';

export interface StartShellOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream & { columns?: number; isTTY?: boolean };
  /** History file (terminal sessions only); none when undefined. */
  readonly historyFile?: string;
  /** The vocabulary, given the function that returns the running evaluation's abort signal. */
  readonly vocabulary: (signal: () => AbortSignal | undefined) => ShellVocabulary;
  /** Shown before the first prompt. */
  readonly banner?: string;
}

type EvalCallback = (err: Error | null, result?: unknown) => void;
type Eval = (code: string, context: object, file: string, cb: EvalCallback) => void;

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';
const isSyntaxError = (e: unknown): boolean => (e as { name?: string } | null)?.name === 'SyntaxError';

/** Families and groups that resolve, and device names, for completion. */
function completionSource(target: ShellTarget, vocabulary: ShellVocabulary): CompletionSource {
  const { acc } = target;
  const families = acc.familyNames();
  const groups = [...new Set(families.flatMap((f) => acc.family(f).memberOf))].filter((g) => {
    if (families.includes(g)) return false;
    try {
      acc.family(g);
      return true;
    } catch {
      return false;
    }
  });
  const names = [...families, ...groups].sort();
  return {
    functions: [...Object.keys(vocabulary.functions), 'help'],
    familyFunctions: FAMILY_FUNCTIONS,
    families: () => names,
    devices: (family) => {
      try {
        return acc.family(family).names;
      } catch {
        return [];
      }
    },
  };
}

/** Runs the session until Ctrl-D or .exit; the target is closed at the end. */
export async function startShell(target: ShellTarget, options: StartShellOptions): Promise<void> {
  let running: AbortController | undefined;
  const vocabulary = options.vocabulary(() => running?.signal);
  const width = () => Math.max(40, options.output.columns ?? 100);
  const writer = (v: unknown) => formatResult(v, width());
  // Node prints an error's line after 'Uncaught' on a line of its own when it is longer than
  // its default writer's breakLength: errors stay one line.
  (repl.writer as unknown as { options: { breakLength: number } }).options.breakLength = Infinity;
  if (options.banner) options.output.write(`${options.banner}\n`);
  const server: REPLServer = repl.start({
    prompt: `${target.acc.name}:${shownMode(target.acc)}> `,
    input: options.input,
    output: options.output,
    useGlobal: false,
    ignoreUndefined: true,
    preview: false,
    // Ctrl-C reaches the session while an awaited call runs (the REPL holds other keys until it ends).
    breakEvalOnSigint: true,
    writer,
  });
  const names = new Set(Object.keys(vocabulary.functions));
  const help = () => {
    const w = Math.max(...Object.values(vocabulary.help).map((h) => h.usage.length));
    server.output.write(`${Object.values(vocabulary.help).map((h) => `${h.usage.padEnd(w)}  ${h.about}`).join('\n')}\n(also: acc, the accelerator; units in hardware unless 'physics' is given)\n`);
  };
  Object.assign(server.context, vocabulary.functions, { acc: target.acc, help });

  // Evaluations one at a time, each call of a shell function awaited, results awaited.
  const original = server.eval as Eval;
  const run = (code: string, context: object, file: string, cb: EvalCallback): void => {
    running = new AbortController();
    const finish: EvalCallback = (err, result) => {
      running = undefined;
      cb(err, result);
    };
    const rewritten = autoAwait(code, names);
    const attempt = (src: string, fallback: boolean): void =>
      original.call(server, src, context, file, (err, result) => {
        if (err && fallback && !(err instanceof repl.Recoverable) && isSyntaxError(err)) return attempt(code, false);
        if (err) return finish(err);
        if (isThenable(result)) result.then((v) => finish(null, v), (e: Error) => finish(e));
        else finish(null, result);
      });
    attempt(rewritten, rewritten !== code);
  };
  // An error the REPL hands to its domain (a throw in the line, a rejected top-level await)
  // never reaches the callback; the REPL shows the prompt after it, which ends that evaluation.
  let queue = Promise.resolve();
  let release: (() => void) | undefined;
  (server as unknown as { eval: Eval }).eval = (code, context, file, cb) => {
    queue = queue.then(
      () =>
        new Promise<void>((done) => {
          release = () => {
            release = undefined;
            running = undefined;
            done();
          };
          run(code, context, file, (err, result) => {
            cb(err, result);
            release?.();
          });
        }),
    );
  };
  const displayPrompt = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean) => {
    release?.();
    displayPrompt(preserveCursor);
  };
  // Before the REPL's own handler, which shows the prompt again (and so ends the evaluation's turn).
  server.prependListener('SIGINT', () => running?.abort(new Error('interrupted (Ctrl-C)')));

  const source = completionSource(target, vocabulary);
  const replComplete = server.completer as (line: string, cb: (err: Error | null, r?: [string[], string]) => void) => void;
  (server as unknown as { completer: typeof replComplete }).completer = (line, cb) => {
    const mine = complete(line, source);
    if (mine) cb(null, mine);
    else replComplete.call(server, line, cb);
  };

  if (options.historyFile && options.output.isTTY) server.setupHistory(options.historyFile, () => {});
  await new Promise<void>((resolve) => server.on('exit', () => resolve()));
  running?.abort(new Error('the shell ended'));
  await queue.catch(() => {});
  await target.close();
}
