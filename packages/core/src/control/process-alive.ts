/**
 * Whether a process with this id exists (signal 0 probes without sending anything).
 * A process of another user counts as existing (EPERM). Used to tell leftovers of a
 * dead run (lock files, temporary files, IOC folders) from those of a live one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
