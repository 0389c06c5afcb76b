/** `mlayer server` on an online mode without --yes refuses before it listens (no EPICS server needed: nothing is read). */
import { expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';

it('mlayer --mode epics server without --yes refuses with one line and exit code 2', async () => {
  const r = await runCli(['--mode', 'epics', 'server', '--listen', '127.0.0.1:0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("mlayer: server: mode 'epics' is an online control system: serving it needs --yes at start; nothing was started\n");
  expect(r.stdout).toBe('');
});

it('mlayer --mode epics --yes server --state refuses: only a twin keeps its state', async () => {
  const r = await runCli(['--mode', 'epics', '--yes', 'server', '--listen', '127.0.0.1:0', '--state', 'never-written.json']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("mlayer: --state: mode 'epics' is not a digital twin: only a twin keeps its state in a file; nothing was started\n");
});

it('mlayer server --listen refuses what is not HOST:PORT', async () => {
  const r = await runCli(['server', '--listen', '8080']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("mlayer: --listen: '8080' is not HOST:PORT (e.g. 127.0.0.1:8080)\n");
});
