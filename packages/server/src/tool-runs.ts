/**
 * Tool runs on the served accelerator: one at a time (a second is refused naming the one
 * running), progress and the result sent to the client that started it and to the clients
 * that watch, an abort that aborts the tool's measurement (core's Measurement restores what
 * it changed; families stepped in several measurements, as tune and chromaticity set do, are
 * put back to their setpoints at the start by the server). The run's start and end are in the
 * audit log; the twin's state is saved after it.
 */
import { type Accelerator, AbortedError, MlayerError } from '@mlayer/core';
import type { RunRequest } from './run-messages.js';
import { type ToolOutcome, familiesMovedInSteps, runTool } from './tool-actions.js';
import type { TwinState } from './twin-state.js';
import type { WriteGuard } from './write-guard.js';

/** Where a run's messages go: a client's send. */
export type RunListener = (msg: Record<string, unknown>) => void;

interface Running {
  readonly runId: number;
  readonly tool: string;
  readonly client: string;
  readonly started: string;
  readonly dryRun: boolean;
  readonly controller: AbortController;
  readonly starter: RunListener;
}

interface Finished {
  readonly runId: number;
  readonly tool: string;
  readonly status: string;
  readonly message: string;
  readonly files: string[];
}

export class ToolRuns {
  private running: Running | undefined;
  private last: Finished | undefined;
  private nextId = 1;
  private readonly watchers = new Set<RunListener>();

  constructor(
    private readonly acc: Accelerator,
    private readonly guard: WriteGuard,
    private readonly state: TwinState | undefined,
    private readonly dataDir: string | undefined,
  ) {}

  /** The client also gets the progress and result of every later run; returns the unwatch. */
  watch(listener: RunListener): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  status(): { running: Record<string, unknown> | null; last: Finished | null } {
    const r = this.running;
    return { running: r ? { runId: r.runId, tool: r.tool, client: r.client, started: r.started, dryRun: r.dryRun } : null, last: this.last ?? null };
  }

  private emit(run: Running, msg: Record<string, unknown>): void {
    run.starter(msg);
    for (const w of this.watchers) if (w !== run.starter) w(msg);
  }

  /**
   * Starts a run (the caller checked the token); resolves when it has ended (its result
   * sent). Throws at once when another run is running.
   */
  start(run: RunRequest, client: string, id: string | number | undefined, send: RunListener): Promise<void> {
    const busy = this.running;
    if (busy) {
      throw new MlayerError(`run ${run.tool}: refused: run ${busy.runId} (${busy.tool}, started by ${busy.client} at ${busy.started}) is running; one run at a time: wait for its result or abort it; nothing was changed`);
    }
    const dryRun = run.tool === 'orbit-correct' && run.dryRun === true;
    const r: Running = { runId: this.nextId++, tool: run.tool, client, started: new Date().toISOString(), dryRun, controller: new AbortController(), starter: send };
    this.running = r;
    return this.execute(r, run, id);
  }

  abort(runId: number | undefined, client: string): Running {
    const r = this.running;
    if (!r || (runId !== undefined && runId !== r.runId)) throw new MlayerError(`abort: ${runId !== undefined ? `run ${runId} is not running` : 'no run is running'}${r ? ` (run ${r.runId}, ${r.tool}, is)` : ''}`);
    r.controller.abort(new AbortedError(`run ${r.runId} (${r.tool}): aborted by ${client}`));
    return r;
  }

  private async execute(r: Running, run: RunRequest, id: string | number | undefined): Promise<void> {
    const { acc } = this;
    this.guard.audit({ client: r.client, family: `run ${r.tool}`, new: run, tool: `run ${r.runId}` });
    r.starter({ type: 'run-started', id, runId: r.runId, tool: r.tool, client: r.client, started: r.started, dryRun: r.dryRun });
    for (const w of this.watchers) if (w !== r.starter) w({ type: 'run-started', runId: r.runId, tool: r.tool, client: r.client, started: r.started, dryRun: r.dryRun });
    let outcome: ToolOutcome | undefined;
    let error: unknown;
    let restored = false;
    // Families moved in several measurements: their setpoints at the start, put back on abort or failure.
    const stepped: { name: string; values: Float64Array }[] = [];
    try {
      for (const name of familiesMovedInSteps(acc, run)) stepped.push({ name, values: await acc.family(name).get({ field: 'setpoint' }) });
      outcome = await runTool(run, {
        acc,
        signal: r.controller.signal,
        dataDir: this.dataDir,
        progress: (p) => this.emit(r, { type: 'progress', runId: r.runId, tool: r.tool, fraction: p.total > 0 ? Math.min(1, Math.max(0, p.step / p.total)) : 0, step: p.step, total: p.total, message: p.message }),
      });
    } catch (e) {
      error = e;
      restored = !r.dryRun;
      try {
        for (const s of stepped) await acc.family(s.name).set(s.values, { wait: true });
      } catch (restoreError) {
        restored = false;
        error = new MlayerError(`${(e as Error).message}; then putting ${stepped.map((s) => s.name).join(', ')} back failed: ${(restoreError as Error).message}`, { cause: e });
      }
    }
    const aborted = error !== undefined && r.controller.signal.aborted;
    const status = error === undefined ? 'done' : aborted ? 'aborted' : 'failed';
    const message = error === undefined ? `run ${r.runId} (${r.tool}) done` : (error as Error).message ?? String(error);
    const files = outcome?.files ?? [];
    this.guard.audit({ client: r.client, family: `run ${r.tool}`, new: { status, message, files, restored }, tool: `run ${r.runId}` });
    await this.state?.save().catch(() => undefined);
    this.running = undefined;
    this.last = { runId: r.runId, tool: r.tool, status, message, files };
    this.emit(r, { type: 'result', id, runId: r.runId, tool: r.tool, status, message, ...(outcome ? { result: outcome.result } : {}), files, restored });
  }
}
