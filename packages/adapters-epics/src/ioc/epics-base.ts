import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IocError } from './ioc-error.js';

/** EPICS host architecture of this machine (bin/<arch> in an EPICS base tree). */
export function epicsHostArch(): string {
  switch (arch()) {
    case 'x64':
      return 'linux-x86_64';
    case 'arm64':
    case 'arm':
      return 'linux-arm';
    case 'ia32':
      return 'linux-x86';
    default:
      throw new IocError(`EPICS: unsupported architecture ${arch()}`);
  }
}

/** Path of an executable of an EPICS base tree; throws when it is missing. */
export function epicsExecutable(epicsBase: string, name: string): string {
  const exe = join(epicsBase, 'bin', epicsHostArch(), name);
  if (!existsSync(exe)) throw new IocError(`EPICS base at ${epicsBase} has no ${name} (looked for ${exe})`);
  return exe;
}

/** scripts/epics-base.sh at the repository root (the same from src/ioc and dist/ioc). */
export function defaultEpicsBaseScript(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../scripts/epics-base.sh');
}

export interface EnsureEpicsBaseOptions {
  /** The build script (default: scripts/epics-base.sh of the repository). */
  readonly script?: string;
  /** Called with each line the build prints. */
  readonly log?: (line: string) => void;
}

/**
 * The EPICS base install directory: $EPICS_BASE when it holds softIoc, otherwise
 * what scripts/epics-base.sh prints (it builds EPICS base 7.0.3.1 once into the
 * cache and reuses it). Throws with the end of the build output on failure.
 */
export async function ensureEpicsBase(options: EnsureEpicsBaseOptions = {}): Promise<string> {
  const fromEnv = process.env.EPICS_BASE;
  if (fromEnv && existsSync(join(fromEnv, 'bin', epicsHostArch(), 'softIoc'))) return fromEnv;
  const script = options.script ?? defaultEpicsBaseScript();
  if (!existsSync(script)) throw new IocError(`EPICS base build script not found: ${script}`);
  return new Promise((res, rej) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        options.log?.(line);
      }
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const dir = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && dir && existsSync(join(dir, 'bin', epicsHostArch(), 'softIoc'))) res(dir);
      else rej(new Error(`${script} failed (exit ${code}); EPICS base is not available:\n${tail.join('\n')}`));
    });
  });
}
