import { vi } from 'vitest';
import { main } from '../src/program.js';

/** What one in-process run of the CLI printed and the exit status it ends with. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `mlayer <args>` in this process through the CLI's `main` (the path `bin.js`
 * takes), capturing stdout and stderr. `stderr` carries the one-line error an
 * exit status 2 comes with: assertions on `code` should print it
 * (`expect(r.code, r.stderr).toBe(0)`).
 */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'mlayer', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}
