/**
 * `checkScan(dir)`: is a scan directory complete and consistent? Every
 * referenced point file present, checksums matching, the status in the
 * manifest agreeing with the point files, counts adding up.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isTempName } from './atomic.js';
import { getChild, isGroup, oneLine, openH5, readAttrs } from './h5.js';
import { pointFileName } from './scan-definition.js';
import { CONFIG_FILE, readScanPlan } from './scan-config-file.js';
import { readJournal } from './scan-journal.js';
import { type ManifestContents, readManifest } from './scan-manifest.js';
import { MANIFEST_FILE, OUTPUTS_DIR, readPointFile } from './scan-point-file.js';
import { LOCK_FILE } from './scan-runner.js';
import { sha256File } from './sha256.js';

export interface ScanProblem {
  readonly severity: 'error' | 'warning';
  /** missing-file, unreadable, checksum-mismatch, status-mismatch, count-mismatch, definition-mismatch, input-checksum, incomplete, unrecorded-file, extra-file, stale-lock, temp-file, journal */
  readonly kind: string;
  readonly index?: number;
  readonly file?: string;
  readonly message: string;
}

export interface ScanCheckReport {
  readonly dir: string;
  /** No errors (warnings allowed, e.g. an unfinished scan). */
  readonly ok: boolean;
  readonly totalPoints: number;
  readonly completed: number;
  readonly failed: number;
  readonly pending: number;
  readonly problems: readonly ScanProblem[];
}

/** Checks a scan directory; never throws for problems in the scan, it reports them. */
export async function checkScan(dir: string): Promise<ScanCheckReport> {
  const root = resolve(dir);
  const problems: ScanProblem[] = [];
  const err = (kind: string, message: string, extra: { index?: number; file?: string } = {}): void => {
    problems.push({ severity: 'error', kind, message, ...extra });
  };
  const warn = (kind: string, message: string, extra: { index?: number; file?: string } = {}): void => {
    problems.push({ severity: 'warning', kind, message, ...extra });
  };
  const report = (total = 0, completed = 0, failed = 0): ScanCheckReport => ({
    dir: root,
    ok: !problems.some((p) => p.severity === 'error'),
    totalPoints: total,
    completed,
    failed,
    pending: total - completed - failed,
    problems,
  });

  if (!existsSync(root)) {
    err('missing-file', `scan directory ${root} does not exist`, { file: root });
    return report();
  }
  let plan;
  try {
    plan = await readScanPlan(root);
  } catch (e) {
    err('unreadable', `${CONFIG_FILE}: ${oneLine(e)}`, { file: CONFIG_FILE });
  }
  if (!plan && !problems.length) err('missing-file', `${CONFIG_FILE} is missing`, { file: CONFIG_FILE });
  let m: ManifestContents | undefined;
  if (!existsSync(join(root, MANIFEST_FILE))) {
    err('missing-file', `${MANIFEST_FILE} is missing`, { file: MANIFEST_FILE });
  } else {
    try {
      m = await readManifest(join(root, MANIFEST_FILE));
    } catch (e) {
      err('unreadable', `${MANIFEST_FILE}: ${oneLine(e)}`, { file: MANIFEST_FILE });
    }
  }
  if (!m) return report();

  const N = m.totalPoints;
  if (plan) {
    if (plan.points.length !== N) err('definition-mismatch', `the manifest has ${N} points, the definition in ${CONFIG_FILE} ${plan.points.length}`);
    if (plan.shape.join('x') !== m.shape.join('x')) err('definition-mismatch', `parameter space shape [${m.shape}] differs from the definition's [${plan.shape}]`);
  }
  await checkInputs(root, err);

  let completed = 0;
  let failed = 0;
  const referenced = new Set<string>();
  for (let i = 0; i < N; i++) {
    const file = m.references.outputFiles[i] ?? '';
    const done = m.status.completed[i] === 1;
    const error = m.status.errorMessages[i] ?? '';
    const mapped = m.references.pointToFileMap[i];
    if (file === '') {
      if (done || error) err('status-mismatch', `point ${i} is marked ${done ? 'completed' : 'failed'} but has no output file`, { index: i });
      if (mapped !== -1) err('status-mismatch', `point ${i} has no output file but point_to_file_map says ${mapped}`, { index: i });
      continue;
    }
    referenced.add(file);
    if (done) completed++;
    else if (error) failed++;
    else err('status-mismatch', `point ${i} has an output file but is neither completed nor failed`, { index: i, file });
    if (done && error) err('status-mismatch', `point ${i} is completed but has an error message: ${error}`, { index: i, file });
    if (mapped !== i) err('status-mismatch', `point_to_file_map[${i}] is ${mapped}, expected ${i}`, { index: i, file });
    const abs = join(root, file);
    if (!existsSync(abs)) {
      err('missing-file', `point ${i}: ${file} is missing`, { index: i, file });
      continue;
    }
    const sum = sha256File(abs);
    if (sum !== m.references.checksums[i]) {
      err('checksum-mismatch', `point ${i}: ${file} does not match its SHA-256 (file changed or corrupted)`, { index: i, file });
      continue;
    }
    try {
      const p = await readPointFile(abs, false);
      if (p.index !== i) err('status-mismatch', `point ${i}: ${file} says it is point ${p.index}`, { index: i, file });
      if ((p.status === 'completed') !== done) err('status-mismatch', `point ${i}: the manifest says ${done ? 'completed' : 'failed'}, ${file} says ${p.status}`, { index: i, file });
      if (plan && plan.points[i] && p.parameterValues.some((v, j) => v !== plan.points[i][j])) {
        err('status-mismatch', `point ${i}: parameter values in ${file} differ from the definition`, { index: i, file });
      }
    } catch (e) {
      err('unreadable', `point ${i}: ${oneLine(e)}`, { index: i, file });
    }
  }
  const a = m.status.attributes;
  if (a.completedPoints !== completed) err('count-mismatch', `simulation_status says ${a.completedPoints} completed points, the status arrays ${completed}`);
  if (a.failedPoints !== failed) err('count-mismatch', `simulation_status says ${a.failedPoints} failed points, the status arrays ${failed}`);
  const pending = N - completed - failed;
  if (pending > 0) warn('incomplete', `${pending} of ${N} points not finished (run the scan again to resume)`);

  const outputs = join(root, OUTPUTS_DIR);
  if (existsSync(outputs)) {
    const expected = new Set(Array.from({ length: N }, (_, i) => pointFileName(i, N)));
    for (const name of readdirSync(outputs)) {
      const rel = `${OUTPUTS_DIR}/${name}`;
      if (isTempName(name)) warn('temp-file', `${rel}: leftover temporary file of an interrupted write`, { file: rel });
      else if (expected.has(name) && !referenced.has(rel)) warn('unrecorded-file', `${rel} exists but the manifest does not list it (the manifest is older than the run; resume to update it)`, { file: rel });
      else if (!expected.has(name)) {
        // A file that is no point of this scan (a copy, a point beyond the plan): a reader of the directory would take it for one.
        if (/^point_\d+\.h5$/.test(name)) err('extra-file', `${rel} is not a point of this scan (it has ${N} points, ${pointFileName(0, N)} to ${pointFileName(N - 1, N)})`, { file: rel });
        else warn('extra-file', `${rel} is not a file of this scan`, { file: rel });
      }
    }
  }
  const journal = readJournal(root);
  if (journal.badLines.length) warn('journal', `scan_journal.jsonl: unreadable line(s) ${journal.badLines.join(', ')} (interrupted write)`);
  if (existsSync(join(root, LOCK_FILE))) warn('stale-lock', `${LOCK_FILE} present: a run is in progress or was killed`);
  return report(N, completed, failed);
}

async function checkInputs(root: string, err: (kind: string, message: string, extra?: { file?: string }) => void): Promise<void> {
  const path = join(root, CONFIG_FILE);
  if (!existsSync(path)) return;
  const h5 = await openH5(path, 'r');
  try {
    const g = getChild(h5, 'input_file_references');
    if (!isGroup(g)) return;
    const a = readAttrs(g);
    for (const [role, p] of Object.entries(a)) {
      if (role.endsWith('_checksum')) continue;
      const files = Array.isArray(p) ? (p as string[]) : [String(p)];
      const sums = a[`${role}_checksum`];
      const want = Array.isArray(sums) ? (sums as string[]) : [String(sums)];
      files.forEach((rel, k) => {
        const abs = join(root, rel);
        if (!existsSync(abs)) err('missing-file', `input file ${rel} (${role}) is missing`, { file: rel });
        else if (`SHA256:${sha256File(abs)}` !== want[k]) err('input-checksum', `input file ${rel} (${role}) does not match its SHA-256`, { file: rel });
      });
    }
  } finally {
    h5.close();
  }
}
