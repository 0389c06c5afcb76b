import type { Command } from 'commander';
import { SETTLE_HELP } from '../option-help.js';
import type { OrbitCliOptions } from './orbit-actions.js';
import type { ThreadCliOptions, TrajectoryCliOptions } from './orbit-thread-actions.js';

/** `mlayer orbit show|measure-orm|measure-dispersion|correct|thread|trajectory|bump`; orbit-actions.ts is loaded when one runs. */
export function registerOrbitCommands(program: Command): void {
  const orbit = program.command('orbit').description('orbit: read, measure the response matrix and dispersion, correct, bumps');
  const common = (c: Command) =>
    c
      .option('-u, --units <units>', 'physics or hardware', 'hardware')
      .option('-a, --average <n>', 'readings averaged per point', '1')
      .option('-o, --out <dir|file.h5>', "folder of the measurement files and plots, each named by kind and UTC time (default: the facility's tools.dataDir, else ./out); a name ending in .h5 is the file itself")
      .option('--force', 'replace the file -o names when it exists (a measurement is never written over another otherwise)', false)
      .option('--no-plots', 'do not write SVG/PNG plots');

  common(orbit.command('show').description('read the orbit (averaged; disabled BPMs and NaN readings excluded)')).action(async (o: OrbitCliOptions, cmd: Command) => (await import('./orbit-actions.js')).orbitShow(o, cmd));

  common(orbit.command('measure-orm').description('measure the orbit response matrix (MML measbpmresp: bipolar steps, both planes)'))
    .option('-k, --kick <value>', "half-amplitude of the step per corrector with its unit (10urad, 0.05A; a bare number only with -u); default: the facility's tools.orbit.ormStep per corrector family (physics units)")
    .option('--rf-step <hz>', 'also measure the RF column with this half-amplitude (RF units; a unit may be given: 100Hz)')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { kick?: string; rfStep?: string; settle: string }, cmd: Command) => (await import('./orbit-actions.js')).orbitMeasureOrm(o, cmd));

  common(orbit.command('measure-dispersion').description('measure the dispersion with an RF step'))
    .option('-s, --step <hz>', "half-amplitude of the RF step (in --units, or with its unit: 100Hz); default: the facility's tools.orbit.dispersionStep (physics units)")
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { step?: string; settle: string }, cmd: Command) => (await import('./orbit-actions.js')).orbitMeasureDispersion(o, cmd));

  common(orbit.command('correct').description('correct the orbit (SVD, Tikhonov or MICADO), iterating until converged'))
    .option('--orm <file|model>', "response matrix: a measurement file, or 'model' (default: the facility's tools.orbit.responseMatrix, else the model)")
    .option('--target <zero|golden|file>', "orbit to steer to: zero, golden (the facility's tools.orbit.golden), a file in the golden-orbit format, or an orbit measurement (.h5 of orbit show) (default: golden when the facility has one, else zero)")
    .option('--no-offsets', "do not subtract the facility's BPM offsets (tools.orbit.offsets) from the readings")
    .option('--sv <n>', 'number of singular values kept')
    .option('--threshold <r>', 'keep singular values above r x the largest (default 1e-3)')
    .option('--tikhonov <alpha>', 'Tikhonov regularisation instead of a cut')
    .option('--micado <n>', 'MICADO with n correctors')
    .option('--rf', 'use the RF frequency as an extra column', false)
    .option('-i, --iterations <n>', 'maximum iterations', '5')
    .option('--on-limit <policy>', 'scale, stop or exclude when a corrector would pass its limit', 'scale')
    .option('--dry-run', 'show what would be set, write nothing', false)
    .option('--gain <g>', 'fraction of each computed step applied: one for both planes, or gx,gy (default 1)')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .addHelpText('after', '\nThe correction works in the units of its response matrix (the model\'s: physics); --units, when given, is the unit of the setpoints printed (the dry-run table).\nExit status: 0 converged or improved, 2 no improvement, 3 diverged (the step that made the orbit worse was undone).')
    .action(async (o: OrbitCliOptions & { orm?: string; target?: string; offsets: boolean; sv?: string; threshold?: string; tikhonov?: string; micado?: string; rf: boolean; iterations: string; onLimit: string; dryRun: boolean; gain?: string; settle: string }, cmd: Command) => (await import('./orbit-actions.js')).orbitCorrect(o, cmd));

  orbit
    .command('thread')
    .description('thread the beam from the injection point until it is stored (issue 22): one injection per step through the Injection family, the first-turn trajectory over the BPMs the beam reaches corrected with the model trajectory response (Tikhonov), the second turn stitched to the first, then closed-orbit correction')
    .option('--max-injections <n>', 'at most this many injections', '100')
    .option('--alpha <a>', 'Tikhonov alpha relative to the largest singular value (default 0.1)')
    .option('--gain <g>', 'fraction of each computed step applied (default 0.8)')
    .option('--search-kick <rad>', 'kick of the corrector search when two steps take the beam no further (default 200e-6 rad)')
    .option('--no-close-orbit', 'stop once the beam is stored (no closed-orbit correction)')
    .option('--dry-run', 'compute the first step from the BPMs as they read now (no injection), write nothing', false)
    .addHelpText('after', '\nExit status: 0 stored, 2 not stored within --max-injections.')
    .action(async (o: ThreadCliOptions, cmd: Command) => (await import('./orbit-thread-actions.js')).orbitThread(o, cmd));

  orbit
    .command('trajectory')
    .description('correct the trajectory of a transfer line or of the first turn (issue 22): a shot, the BPMs the beam reaches, a Tikhonov step with the model trajectory response, repeated until it stops improving')
    .option('-i, --iterations <n>', 'maximum steps', '5')
    .option('--alpha <a>', 'Tikhonov alpha relative to the largest singular value (default 0.001)')
    .option('--gain <g>', 'fraction of each step applied (default 1)')
    .option('--shots <n>', 'shots averaged per reading', '1')
    .option('--dry-run', 'compute one step, write nothing', false)
    .action(async (o: TrajectoryCliOptions, cmd: Command) => (await import('./orbit-thread-actions.js')).orbitTrajectory(o, cmd));

  common(orbit.command('bump').description('closed local bump at a BPM (3 or more correctors)'))
    .requiredOption('-p, --plane <plane>', 'x or y')
    .requiredOption('-b, --bpm <name>', 'BPM (common name)')
    .requiredOption('--position <value>', 'orbit change at the BPM (BPM units)')
    .option('--angle <value>', 'angle between the BPM and the next one (needs 4 correctors)')
    .option('-c, --correctors <n>', 'number of correctors', '3')
    .option('--orm <file|model>', "response matrix: a measurement file, or 'model' (default: the facility's tools.orbit.responseMatrix, else the model)")
    .option('--dry-run', 'compute only', false)
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { plane: string; bpm: string; position: string; angle?: string; correctors: string; orm?: string; dryRun: boolean; settle: string }, cmd: Command) => (await import('./orbit-actions.js')).orbitBump(o, cmd));
}
