/**
 * Where a recorder's lines go: a file written in blocks (the lines are encoded into a
 * 1 MB buffer as they come, which is appended with one system call when full), and read back.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { MlayerError } from '@mlayer/core';
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordingEvent, type RecordingHeader } from './recording-format.js';

/** What a recorder writes its lines to. */
export interface RecordingSink {
  /** One line of JSON (no newline). */
  append(line: string): void;
  /** Writes what is waiting and ends the recording. */
  close(): void;
}

const BLOCK = 1024 * 1024;

/** A recording file; `overwrite` false (default): an existing file is an error and is kept. */
export class RecordingFile implements RecordingSink {
  private fd: number | undefined;
  /**
   * Bytes waiting (UTF-8). Each line is encoded at once, so no string outlives its append:
   * the 10,000 lines of a block kept as strings (a rope) cost more in garbage collection
   * than building them.
   */
  private readonly block = Buffer.allocUnsafe(BLOCK);
  private used = 0;

  constructor(
    readonly path: string,
    options: { readonly overwrite?: boolean } = {},
  ) {
    try {
      this.fd = openSync(path, options.overwrite ? 'w' : 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new MlayerError(code === 'EEXIST' ? `recording ${path}: the file exists (it is never written over; remove it or choose another name)` : `recording ${path}: ${(e as Error).message}`);
    }
  }

  append(line: string): void {
    if (this.fd === undefined) return;
    // At most 3 bytes of UTF-8 per UTF-16 unit, and the newline.
    const most = line.length * 3 + 1;
    if (most > BLOCK - this.used) {
      this.flush();
      if (most > BLOCK) {
        writeSync(this.fd, `${line}\n`);
        return;
      }
    }
    this.used += this.block.write(line, this.used);
    this.block[this.used++] = 0x0a;
  }

  flush(): void {
    if (this.fd === undefined) return;
    for (let at = 0; at < this.used; ) at += writeSync(this.fd, this.block, at, this.used - at);
    this.used = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A recording read back: its header and its events in the file's order. */
export interface Recording {
  /** The file it was read from (for messages). */
  readonly source: string;
  readonly header: RecordingHeader;
  readonly events: readonly RecordingEvent[];
}

/** Reads a recording file; a bad one is an error naming the file, the line and what is wrong. */
export function readRecording(path: string): Recording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MlayerError(`recording ${path}: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parse = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      return v as Record<string, unknown>;
    } catch (e) {
      throw new MlayerError(`recording ${path}:${i + 1}: ${(e as Error).message}`);
    }
  };
  if (lines.length === 0) throw new MlayerError(`recording ${path}: the file is empty (no header line)`);
  const header = parse(0);
  if (header.format !== RECORDING_FORMAT) throw new MlayerError(`recording ${path}:1: format is ${JSON.stringify(header.format)}, not '${RECORDING_FORMAT}' (not an mlayer recording)`);
  if (header.version !== RECORDING_VERSION) throw new MlayerError(`recording ${path}:1: version ${JSON.stringify(header.version)} is not supported (this mlayer reads version ${RECORDING_VERSION})`);
  const kinds = new Set(['read', 'write', 'subscribe', 'update', 'unsubscribe', 'clock']);
  const events: RecordingEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const e = parse(i);
    if (!kinds.has(e.k as string)) throw new MlayerError(`recording ${path}:${i + 1}: event kind ${JSON.stringify(e.k)} is not one of ${[...kinds].join(', ')}`);
    events.push(e as unknown as RecordingEvent);
  }
  return { source: path, header: header as unknown as RecordingHeader, events };
}
