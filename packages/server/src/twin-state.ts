/**
 * The twin's state kept in a file (`--state FILE`): setpoints (a snapshot), the applied
 * error set and its seed. Saved atomically (a temporary file, fsync, rename) after each
 * change; restored when the server starts again.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type Accelerator, type DigitalTwin, MlayerError, type Snapshot, isDigitalTwin } from '@mlayer/core';

export interface TwinStateFile {
  readonly version: 1;
  readonly seed: number | null;
  readonly errors: Record<string, unknown> | null;
  readonly snapshot: Snapshot;
  /**
   * Injected faults (issue 24): each `{ kind, start, ... }` (start in ms on the twin's clock), as
   * the twin keeps them. Restored in order after the error set and the setpoints (a fault that
   * holds a value, a stuck supply, holds the restored one).
   */
  readonly faults?: readonly { readonly kind: string }[];
}

export interface AppliedErrors {
  readonly seed: number;
  readonly spec: Record<string, unknown>;
}

export class TwinState {
  /** The error set applied last (the twin knows only its seed). */
  errors: AppliedErrors | undefined;
  private saving: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;

  constructor(
    private readonly acc: Accelerator,
    private readonly file: string | undefined,
  ) {}

  /** Restores the file's state into the twin; false when there is no file yet. */
  async restore(): Promise<boolean> {
    if (!this.file || !existsSync(this.file)) return false;
    let state: TwinStateFile;
    try {
      state = JSON.parse(readFileSync(this.file, 'utf8')) as TwinStateFile;
    } catch (e) {
      throw new MlayerError(`${this.file}: not a twin state file (${(e as Error).message})`, { cause: e });
    }
    if (state.version !== 1 || typeof state.snapshot !== 'object') throw new MlayerError(`${this.file}: version ${String(state.version)} is not a twin state file of version 1`);
    const faults = state.faults ?? [];
    if (!Array.isArray(faults)) throw new MlayerError(`${this.file}: faults: not a list; nothing was restored`);
    if (faults.length > 0 && !this.twin?.injectFaults) throw new MlayerError(`${this.file}: faults: ${faults.length} injected fault${faults.length === 1 ? '' : 's'} (${faults.map((f) => String(f?.kind)).join(', ')}); this twin cannot inject faults; nothing was restored`);
    const inject = (): void => {
      try {
        this.twin!.injectFaults!(faults);
      } catch (e) {
        throw new MlayerError(`${this.file}: faults: ${(e as Error).message}; nothing was restored`, { cause: e });
      }
    };
    // Checked first (the twin adds all or none; taken out at once), so that a bad fault restores nothing.
    if (faults.length > 0) {
      inject();
      this.twin!.clearFaults?.();
    }
    if (state.errors && state.seed !== null) this.applyErrors(state.errors, state.seed);
    await this.acc.restore(state.snapshot, { wait: true });
    if (faults.length > 0) inject();
    return true;
  }

  applyErrors(spec: Record<string, unknown>, seed: number): void {
    this.acc.twin.applyErrors(spec, seed);
    this.errors = { spec, seed };
  }

  addFaults(faults: readonly unknown[]): void {
    if (!this.twin?.injectFaults) throw new MlayerError(`twin-faults: mode '${this.acc.mode}' cannot inject faults`);
    this.twin.injectFaults(faults);
  }

  clearFaults(): void {
    this.twin?.clearFaults?.();
  }

  /** The twin (undefined in a mode that is not one). */
  private get twin(): DigitalTwin | undefined {
    const cs = this.acc.controlSystem;
    return isDigitalTwin(cs) ? cs : undefined;
  }

  clearErrors(): void {
    this.acc.twin.clearErrors();
    this.errors = undefined;
  }

  /**
   * Saves the state after a change; resolves when a save that started after this call is
   * on disk. Calls during a save share the next one (a burst of writes saves twice at most).
   */
  save(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.pending) return this.pending;
    const next = this.saving.then(async () => {
      this.pending = undefined;
      await this.write();
    });
    this.pending = next;
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    const file = this.file!;
    const faults = this.twin?.faults ?? [];
    const state: TwinStateFile = { version: 1, seed: this.errors?.seed ?? null, errors: this.errors?.spec ?? null, snapshot: await this.acc.snapshot(), ...(faults.length > 0 ? { faults: [...faults] } : {}) };
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}
