/**
 * Hostile input (issue 15): every bad or unusual input is one row of CASES, run as
 * `mlayer` (the built dist, rebuilt first by checkBuilt) in a child process. A row gives the
 * command line (with its files and environment), the fragment its message must hold,
 * the exit code, and whether the command could write: then the set points of a real
 * EPICS server (one softIoc shared by all rows) are read afterwards and must be the
 * values they had. A message is one line (the HDF5 library stays quiet). A new bad
 * input is one more row.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpicsControlSystem, SoftIoc, ensureEpicsBase, type IocChannelDescription, type IocPorts } from '@mlayer/adapters-epics';
import { MeasurementFile, runScan, sha256Of, type ScanDefinition } from '@mlayer/data';
import { checkBuilt } from '../serve-process.js';

/** The CLI under test: the built dist (MLAYER_HOSTILE_BIN runs the rows against another build, e.g. an older commit's). */
const BIN = process.env.MLAYER_HOSTILE_BIN ?? fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const DIAMOND = fileURLToPath(new URL('../../../../facilities/diamond-i04', import.meta.url));
const DEMO_ERRORS = fileURLToPath(new URL('../../../../examples/demo-errors.yaml', import.meta.url));

/** What the rows share: the IOC's ports and the files made for them. */
interface Ctx {
  readonly dir: string;
  readonly ports: IocPorts;
  /** Writes `text` as `name` in the work directory; returns the path. */
  file(name: string, text: string | Buffer): string;
  /** The small EPICS facility on the IOC, with edits applied to its text. */
  facility(name: string, edit?: (yaml: string) => string): string;
  /** The demo facility (a copy, its data files beside it), with edits applied to its text. */
  diamond(name: string, edit?: (yaml: string) => string): string;
  /** A process id that no longer exists. */
  readonly deadPid: number;
}

interface Case {
  /** The issue item and what is tried. */
  readonly name: string;
  readonly args: (c: Ctx) => string[];
  /** Environment variables added for this row (EPICS_* of the test process are never passed on). */
  readonly env?: (c: Ctx) => Record<string, string>;
  readonly code: number;
  /** A fragment of stderr (a RegExp, or a string found verbatim); `stdout` tests the standard output. */
  readonly message: RegExp | string;
  readonly stdout?: RegExp | string;
  /** The command could write: the IOC's set points are checked unchanged afterwards. */
  readonly writes?: boolean;
  /** Seconds within which the command must have exited (a hang is a failure; default 100). */
  readonly within?: number;
  /**
   * Run `main()` without the executable's exit timer (bin.js ends a process 2 s after its command
   * in any case): a client context left open then keeps the process alive, and the row fails.
   */
  readonly bare?: boolean;
  /** More lines than one are expected on stderr (warnings, several issues of one file). */
  readonly lines?: number;
  /** Files made before the run. */
  readonly before?: (c: Ctx) => void;
  /** A check after the run. */
  readonly after?: (c: Ctx, r: Run) => void;
}

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly seconds: number;
}

const HCM = (i: number) => `W15:HCM${String(i).padStart(2, '0')}`;
const N = 4;

/** A small facility on the IOC: 4 horizontal and 4 vertical correctors, 4 BPMs per plane. */
function smallFacility(ports: IocPorts): string {
  const magnets = (fam: string, group: string, plane: string) => `  ${fam}:
    elementClass: Corrector
    memberOf: [${group}, COR]
    plane: ${plane}
    fields:
      setpoint: { units: { hardware: A, physics: A }, channels: { epics: "W15:${fam}{index:02}:SETI" }, limits: [-5, 5] }
      readback: { units: { hardware: A, physics: A }, channels: { epics: "W15:${fam}{index:02}:I" } }
    devices:
${Array.from({ length: N }, (_, i) => `      - { device: [1, ${i + 1}], name: ${fam}${i + 1} }`).join('\n')}`;
  const bpms = (fam: string, plane: string) => `  ${fam}:
    elementClass: BPM
    memberOf: [BPM]
    plane: ${plane}
    fields:
      monitor: { units: { hardware: mm, physics: mm }, channels: { epics: "W15:${fam}{index:02}:POS" } }
    devices:
${Array.from({ length: N }, (_, i) => `      - { device: [1, ${i + 1}], name: ${fam}${i + 1} }`).join('\n')}`;
  return `name: w15
energy: 3.0e9
controlSystems:
  epics:
    type: epics
    settings: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ${ports.ca}, repeaterPort: ${ports.caRepeater}, timeout: 1500 }
defaultMode: epics
families:
${magnets('HCM', 'HCM', 'x')}
${magnets('VCM', 'VCM', 'y')}
${bpms('BPMx', 'x')}
${bpms('BPMy', 'y')}
`;
}

function channels(): IocChannelDescription[] {
  const out: IocChannelDescription[] = [];
  for (const fam of ['HCM', 'VCM']) {
    for (let i = 1; i <= N; i++) {
      const pv = `W15:${fam}${String(i).padStart(2, '0')}`;
      out.push({ name: `${pv}:SETI`, type: 'double', initial: 0.5, limits: { low: -5, high: 5 } });
      out.push({ name: `${pv}:I`, type: 'double', initial: 0.5, readonly: true });
    }
  }
  for (const fam of ['BPMx', 'BPMy']) for (let i = 1; i <= N; i++) out.push({ name: `W15:${fam}${String(i).padStart(2, '0')}:POS`, type: 'double', initial: 0.01 * i, readonly: true });
  return out;
}
const SETPOINTS = channels().filter((c) => c.name.endsWith(':SETI')).map((c) => c.name);

/** A scan of 3 points, finished (for `data check`). */
const SCAN: ScanDefinition = {
  name: 'w15_scan',
  type: 'grid',
  purpose: 'hostile input',
  author: 'Test <test@example.org>',
  parameters: [{ name: 'kick', symbol: 'k', description: 'kick', unit: '', min: 0, max: 1, numPoints: 3, scale: 'linear' }],
  metrics: [{ name: 'rms', description: 'rms', unit: '' }],
};

const replaceOnce = (text: string, from: string, to: string): string => {
  if (!text.includes(from)) throw new Error(`test set-up: '${from}' not in the facility text`);
  return text.replace(from, to);
};
const template = (t: string) => (y: string) => replaceOnce(y, 'channels: { epics: "W15:HCM{index:02}:SETI" }', `channels: { epics: "${t}" }`);

const CASES: Case[] = [
  // 1. Channel templates: a bad placeholder is an error at load; one channel for two devices needs a declaration.
  { name: '1 unknown placeholder {nmae}', args: (c) => ['--facility', c.facility('t-nmae', template('W15:{nmae}:SETI')), '--yes', 'set', 'HCM', '1'], code: 2, message: /t-nmae\.yaml:\d+:\d+: families\.HCM\.fields\.setpoint\.channels\.epics: channel template of family HCM: unknown placeholder '\{nmae\}'/, writes: true },
  { name: '1 bad format {sector:0x}', args: (c) => ['--facility', c.facility('t-0x', template('W15:HCM{sector:0x}:SETI')), '--yes', 'set', 'HCM', '1'], code: 2, message: /t-0x\.yaml:\d+:\d+: .*bad format in placeholder '\{sector:0x\}'/, writes: true },
  { name: '1 unclosed {name:SETI', args: (c) => ['--facility', c.facility('t-open', template('{name:SETI')), '--yes', 'set', 'HCM', '1'], code: 2, message: /placeholder '\{name:SETI' is not closed by '\}'/, writes: true },
  { name: '1 padding without 0 {sector:2}', args: (c) => ['--facility', c.facility('t-pad', template('W15:HCM{sector:2}:SETI')), '--yes', 'set', 'HCM', '1'], code: 2, message: "bad format in placeholder '{sector:2}'", writes: true },
  {
    name: '1 a template giving every device one channel',
    args: (c) => ['--facility', c.facility('t-same', template(`${HCM(1)}:SETI`)), '--yes', 'set', 'HCM', '1', '--devices', '1,1'],
    code: 2,
    message: /devices\[1\] \(HCM2\) and devices\[0\] \(HCM1\) of HCM resolve to the same setpoint channel 'W15:HCM01:SETI'/,
    writes: true,
  },
  {
    name: '1 devices that name one channel explicitly share it (as the demo dipoles share one supply)',
    args: (c) => [
      '--facility',
      c.facility('t-shared', (y) =>
        replaceOnce(y, '      - { device: [1, 2], name: HCM2 }', `      - { device: [1, 2], name: HCM2, channels: { setpoint: { epics: "${HCM(1)}:SETI" } } }`).replace('      - { device: [1, 1], name: HCM1 }', `      - { device: [1, 1], name: HCM1, channels: { setpoint: { epics: "${HCM(1)}:SETI" } } }`),
      ),
      'get', 'HCM', '--field', 'setpoint',
    ],
    code: 0,
    message: '',
    stdout: /HCM \(mA\)[\s\S]*\n1,2 +HCM2 +500\.0+\n/,
  },
  {
    name: '1 two different values for devices that share one channel',
    args: (c) => [
      '--facility',
      c.facility('t-shared2', (y) =>
        replaceOnce(y, '      - { device: [1, 2], name: HCM2 }', `      - { device: [1, 2], name: HCM2, channels: { setpoint: { epics: "${HCM(1)}:SETI" } } }`).replace('      - { device: [1, 1], name: HCM1 }', `      - { device: [1, 1], name: HCM1, channels: { setpoint: { epics: "${HCM(1)}:SETI" } } }`),
      ),
      '--yes', 'set', 'HCM', '1', '2', '--devices', '1,1;1,2',
    ],
    code: 2,
    message: /HCM HCM1 and HCM2 share W15:HCM01:SETI but were given different values \(1 and 2\); nothing was written/,
    writes: true,
  },
  // 2. An empty value is not 0; 3. an empty selection is not everything, and --names with --devices is an error.
  { name: '2 empty value', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', ''], code: 2, message: 'value: "" is not a finite decimal number', writes: true },
  { name: '2 blank value', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '  '], code: 2, message: 'value: "  " is not a finite decimal number', writes: true },
  { name: '2 one empty value among several', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '', '1', '1'], code: 2, message: 'value 2: "" is not a finite decimal number', writes: true },
  { name: '3 empty --devices', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '--devices', ''], code: 2, message: '--devices: the device list is empty', writes: true },
  { name: '3 empty --names', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '--names', ''], code: 2, message: '--names: the name list is empty', writes: true },
  { name: '3 --names with --devices', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '--names', 'HCM1', '--devices', '1,2'], code: 2, message: '--devices and --names both select devices', writes: true },
  // 4. Also refused: hex, repeated devices, an unknown unit, impossible correction methods.
  { name: '4 hexadecimal value 0x2', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '0x2'], code: 2, message: 'value: "0x2" is not a finite decimal number', writes: true },
  { name: '4 a device given twice', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '2', '--devices', '1,1;1,1'], code: 2, message: '--devices: device [1,1] is given twice', writes: true },
  { name: '4 a name given twice', args: (c) => ['--facility', c.facility('f'), '--yes', 'set', 'HCM', '1', '2', '--names', 'HCM1,HCM1'], code: 2, message: "--names: 'HCM1' is given twice", writes: true },
  {
    name: '4 unknown unit (the same for hardware and physics)',
    args: (c) => ['--facility', c.facility('u-furlong', (y) => replaceOnce(y, 'setpoint: { units: { hardware: A, physics: A }, channels: { epics: "W15:HCM', 'setpoint: { units: { hardware: furlong, physics: furlong }, channels: { epics: "W15:HCM')), '--yes', 'set', 'HCM', '1'],
    code: 2,
    message: /u-furlong\.yaml:\d+:\d+: families\.HCM\.fields\.setpoint\.units\.hardware: unknown unit/,
    lines: 2,
    writes: true,
  },
  { name: '4 --micado beyond the correctors', args: (c) => ['--facility', DIAMOND, 'orbit', 'correct', '--micado', '100000', '--no-plots', '-o', join(c.dir, 'never')], code: 2, message: '--micado: 100000 is outside [1, 172]' },
  { name: '4 --sv 0', args: (c) => ['--facility', DIAMOND, 'orbit', 'correct', '--sv', '0', '--no-plots', '-o', join(c.dir, 'never')], code: 2, message: '--sv: 0 is outside [1, 172]' },
  // 5. A corrupted measurement file fails every reader, with one line naming the file and the dataset.
  { name: '5 orbit correct with a corrupted response matrix', args: (c) => ['--facility', DIAMOND, 'orbit', 'correct', '--orm', join(c.dir, 'm-4k.h5'), '--no-plots', '-o', join(c.dir, 'never')], code: 2, message: /m-4k\.h5: \/data\/big: the values cannot be read \(the file is corrupted\): HDF5: / },
  { name: '5 data show: a dataset replaced after writing (no checksum in a file written with them)', args: (c) => ['data', 'show', join(c.dir, 'm-replaced.h5')], code: 2, message: /m-replaced\.h5: \/data\/small: no checksum, although the file was written with checksums/ },
  { name: '5 data show: a value changed in place (only the checksum sees it)', args: (c) => ['data', 'show', join(c.dir, 'm-flip.h5')], code: 2, message: /m-flip\.h5: \/data\/small: the values read differ from those written \(SHA-256 mismatch\): the file is corrupted/ },
  { name: '5 data show: 4 KB of garbage in a compressed block', args: (c) => ['data', 'show', join(c.dir, 'm-4k.h5')], code: 2, message: '/data/big: the values cannot be read (the file is corrupted)' },
  { name: '5 data show: an intact file lists its verified checksums', args: (c) => ['data', 'show', join(c.dir, 'm.h5')], code: 0, message: '', stdout: 'checksums: 2 datasets verified' },
  {
    name: '5 data check: an extra point file',
    before: (c) => cpSync(join(c.dir, 'scan', 'outputs', 'point_0000.h5'), join(c.dir, 'scan', 'outputs', 'point_0007.h5')),
    args: (c) => ['data', 'check', join(c.dir, 'scan')],
    code: 1,
    message: '',
    stdout: /error: \[extra-file\] outputs\/point_0007\.h5 is not a point of this scan \(it has 3 points/,
  },
  { name: '5 data check: a manifest HDF5 cannot read, in one line', args: (c) => ['data', 'check', join(c.dir, 'scan-bad')], code: 1, message: '', stdout: /FAILED \(1 error, 0 warnings\)\n {2}error: \[unreadable\] scan_manifest\.h5: HDF5: [^\n]+\n$/ },
  // 7. A refused online write exits non-zero with one line, and claims no failed restore.
  { name: '7 set without --yes', args: (c) => ['--facility', c.facility('f'), 'set', 'HCM', '1'], code: 2, message: "set: mode 'epics' is an online control system and writes need --yes", writes: true },
  { name: '7 measure-orm without --yes', args: (c) => ['--facility', c.facility('f'), 'orbit', 'measure-orm', '--kick', '0.1', '--no-plots', '-o', join(c.dir, 'never')], code: 2, message: /^mlayer: orbit measure-orm: mode 'epics' is an online control system and writes need --yes[^\n]*nothing was written\n$/, writes: true },
  { name: '7 chrom measure without --yes', args: (c) => ['--facility', c.facility('f'), 'chrom', 'measure'], code: 2, message: /^mlayer: chrom measure: mode 'epics' is an online control system and writes need --yes/, writes: true },
  { name: '7 orbit correct without --yes (no silent dry run)', args: (c) => ['--facility', c.facility('f'), 'orbit', 'correct', '--no-plots', '-o', join(c.dir, 'never')], code: 2, message: "orbit correct: mode 'epics' is an online control system and writes need --yes", writes: true },
  // 8. With no server, an EPICS command exits right after its error.
  {
    // No server, and no caRepeater on the repeater port: the client starts its own (a worker thread) and must end it.
    name: '8 no server: get times out and exits',
    args: (c) => ['--facility', c.facility('nosrv', (y) => y.replace(`serverPort: ${c.ports.ca}, repeaterPort: ${c.ports.caRepeater}`, `serverPort: ${c.ports.pva}, repeaterPort: ${c.ports.pvaBroadcast}`)), 'get', 'HCM'],
    code: 2,
    message: /connecting .* on 'ca:\/\/W15:HCM01:I' timed out after 1500 ms/,
    bare: true,
    within: 45,
  },
  // 10. The .m interpreter: a budget of operations and of nesting, with file and line.
  { name: '10 nested loops of 1e5 x 1e5', args: (c) => ['model', 'optics', '--lattice', c.file('nested.m', 'function ring = nested()\nx = 0;\nfor i = 1:100000\n  for j = 1:100000\n    x = x + 1;\n  end\nend\nring = {atdrift(\'D\', 1.0)};\n')], code: 2, message: /nested\.m:[45]: the file runs more than 5,000,000 statements and calls/ },
  { name: '10 nested loops with empty bodies', args: (c) => ['model', 'optics', '--lattice', c.file('emptyloops.m', 'function ring = emptyloops()\nfor i = 1:100000\n  for j = 1:100000\n  end\nend\nring = {atdrift(\'D\', 1.0)};\n')], code: 2, message: /emptyloops\.m:3: the file runs more than 5,000,000 statements and calls/ },
  { name: '10 a range longer than the budget', args: (c) => ['model', 'optics', '--lattice', c.file('longrange.m', 'function ring = longrange()\nx = sum(1:1e9);\nring = {atdrift(\'D\', 1.0)};\n')], code: 2, message: /longrange\.m:2: range of 1,000,000,000 elements: longer than the budget/ },
  { name: '10 recursion without end', args: (c) => ['model', 'optics', '--lattice', c.file('recurse.m', 'function ring = recurse()\nring = build(1);\nend\nfunction r = build(n)\nr = build(n + 1);\nend\n')], code: 2, message: /recurse\.m:5: calls nested more than 200 deep \(calling 'build'\)/ },
  // 11. A temporary file of a writer killed by SIGKILL is removed by the next write of the same file.
  {
    name: '11 a dead writer\'s .orbit.h5.tmp-* is removed at the next start',
    before: (c) => {
      mkdirSync(join(c.dir, 'orbit-out'), { recursive: true });
      writeFileSync(join(c.dir, 'orbit-out', `.orbit.h5.tmp-${c.deadPid}-0badc0de`), 'half a file');
    },
    args: (c) => ['--facility', DIAMOND, 'orbit', 'show', '--no-plots', '-o', join(c.dir, 'orbit-out', 'orbit.h5')],
    code: 0,
    message: '',
    stdout: /BPMx: \d+ BPMs, rms/,
    after: (c) => {
      expect(existsSync(join(c.dir, 'orbit-out', `.orbit.h5.tmp-${c.deadPid}-0badc0de`))).toBe(false);
      expect(existsSync(join(c.dir, 'orbit-out', 'orbit.h5'))).toBe(true);
    },
  },
  // 12. The EPICS environment applies unless the facility sets a value; --verbose says what is searched.
  {
    name: '12 EPICS_CA_ADDR_LIST / AUTO_ADDR_LIST / SERVER_PORT from the environment',
    args: (c) => ['--facility', c.facility('env', (y) => y.replace(/settings: \{ addressList.*\}/, 'settings: { timeout: 1500 }')), '--verbose', 'get', 'HCM'],
    env: (c) => ({ EPICS_CA_ADDR_LIST: '127.0.0.1', EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_SERVER_PORT: String(c.ports.ca), EPICS_CA_REPEATER_PORT: String(c.ports.caRepeater) }),
    code: 0,
    message: /EPICS Channel Access: searches 127\.0\.0\.1 \(EPICS_CA_ADDR_LIST\), no broadcast \(EPICS_CA_AUTO_ADDR_LIST\), UDP port \d+ \(EPICS_CA_SERVER_PORT\)/,
    lines: 3,
    stdout: /HCM \(mA\)[\s\S]*\n1,4 +HCM4 +500\.0+\n/,
  },
  {
    name: '12 a value the facility sets explicitly wins over the environment',
    args: (c) => ['--facility', c.facility('f'), '--verbose', 'get', 'HCM'],
    env: (c) => ({ EPICS_CA_ADDR_LIST: '127.0.0.2', EPICS_CA_SERVER_PORT: String(c.ports.pva) }),
    code: 0,
    message: /searches 127\.0\.0\.1 \(facility file\), no broadcast \(facility file\), UDP port \d+ \(facility file\)/,
    lines: 3,
    stdout: /HCM \(mA\)[\s\S]*\n1,1 +HCM1 +500\.0+\n/,
  },
  { name: '12 an environment value that cannot be used', args: (c) => ['--facility', c.facility('env2', (y) => y.replace(/settings: \{ addressList.*\}/, 'settings: { timeout: 1500 }')), 'get', 'HCM'], env: () => ({ EPICS_CA_AUTO_ADDR_LIST: 'maybe' }), code: 2, message: 'environment variable EPICS_CA_AUTO_ADDR_LIST="maybe": expected YES or NO' },
  // 13. Messages: short, naming the file, every issue with its line.
  {
    name: '13 binary garbage as the facility file: a short excerpt only',
    args: (c) => ['--facility', c.file('garbage.yaml', Buffer.from(Array.from({ length: 47_000 }, (_, i) => 97 + ((i * 7919) % 17)))), 'get', 'HCM'],
    code: 2,
    message: /garbage\.yaml:1:1: \(root\): a facility file must contain a mapping .*\(47000 characters\)\)/,
    after: (_c, r) => expect(r.err.length).toBeLessThan(400),
  },
  {
    name: '13 YAML alias bomb: the error names the file',
    args: (c) => ['--facility', c.file('bomb.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n')), 'get', 'HCM'],
    code: 2,
    message: /bomb\.yaml: \(root\): invalid YAML: Excessive alias count/,
  },
  {
    name: '13 twin settings: every issue, each with its line',
    args: (c) => ['--facility', c.diamond('twin-settings', (y) => replaceOnce(y, '    channelNames: epics\n', '    channelNames: epics\n    settings:\n      updateRate: -1\n      bpmNoyse: 1e-6\n')), 'get', 'RF'],
    code: 2,
    message: /twin-settings\.yaml:\d+:\d+: controlSystems\.twin\.settings\.updateRate: .*\n.*twin-settings\.yaml:\d+:\d+: controlSystems\.twin\.settings\.bpmNoyse: unknown key 'bpmNoyse'/,
    lines: 2,
  },
  {
    name: '13 an error set in settings.errors with several problems: each one, by the key written',
    args: (c) => ['--facility', c.diamond('twin-bad-errors', (y) => replaceOnce(y, '    channelNames: epics\n', `    channelNames: epics\n    settings: { errors: ${JSON.stringify(c.file('bad-errors.yaml', 'magnets:\n  QUAD: { dx: -1, dz: 2 }\nbpms:\n  BPMx: { gain: -3 }\n'))} }\n`)), 'get', 'RF'],
    code: 2,
    message: /bad-errors\.yaml \(controlSystems\.twin\.settings\.errors\): error specification: magnets\.QUAD\.dx: .*\nerror specification: magnets\.QUAD: Unrecognized key: "dz"\nerror specification: bpms\.BPMx\.gain: /,
    lines: 3,
  },
  {
    name: '13 demo --errors: a YAML alias bomb in the error-set file names the file',
    args: (c) => ['demo', '--errors', c.file('bomb-errors.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n')), '-o', join(c.dir, 'demo-bomb')],
    code: 2,
    message: /bomb-errors\.yaml: not a valid YAML or JSON error set: Excessive alias count/,
  },
  {
    name: '13 demo --errors: each problem of the error-set file, the file named',
    args: (c) => ['demo', '--errors', c.file('bad-demo-errors.yaml', 'magnets:\n  QUAD: { dx: -1, dz: 2 }\n'), '-o', join(c.dir, 'demo-bad')],
    code: 2,
    message: /bad-demo-errors\.yaml: error specification: magnets\.QUAD\.dx: .*\nerror specification: magnets\.QUAD: Unrecognized key: "dz"/,
    lines: 2,
  },
  { name: '13 a NaN quadrupole strength says so', args: (c) => ['model', 'optics', '--lattice', c.file('nanquad.m', "function ring = nanquad()\nring = {atdrift('D', 1.0); atquadrupole('QF', 0.5, NaN); atdrift('D', 1.0)};\n")], code: 2, message: /nanquad\.m:2: element 'QF', field K: K = NaN is not a finite number/ },
  {
    name: '13 the demo error set (keyed by group) in settings.errors',
    args: (c) => ['--facility', c.diamond('twin-errors', (y) => replaceOnce(y, '    channelNames: epics\n', `    channelNames: epics\n    settings: { errors: ${JSON.stringify(DEMO_ERRORS)}, seed: 3 }\n`)), '--json', 'get', 'BPMx', '--devices', '1,1'],
    code: 0,
    message: '',
    stdout: /"values":\[-?\d/,
  },
];

/** `main()` of the CLI under test without bin.js (see Case.bare). */
const BARE = `import { main } from ${JSON.stringify(pathToFileURL(join(dirname(BIN), 'program.js')).href)};\nprocess.exitCode = await main(process.argv);\n`;

/** Runs a node script with arguments (killed by its PID after `limitMs`); never passes the EPICS_* variables of the test process on. */
function mlayer(args: readonly string[], env: Record<string, string>, limitMs: number): Promise<Run> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EPICS_') && k !== 'MLAYER_FACILITY') base[k] = v;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), limitMs);
    child.on('exit', () => clearTimeout(timer));
    child.on('close', (code) => resolve({ code, out, err, seconds: (Date.now() - t0) / 1000 }));
  });
}

let ioc: SoftIoc;
let client: EpicsControlSystem;
let ctx: Ctx;
let initial: number[];

async function setpointsNow(): Promise<number[]> {
  return (await client.read(SETPOINTS)).map((s) => s.value as number);
}

beforeAll(async () => {
  // The rows run the built command: build it from the present sources first (unless another build is named).
  if (process.env.MLAYER_HOSTILE_BIN === undefined) checkBuilt();
  ioc = await SoftIoc.start({ epicsBase: await ensureEpicsBase(), channels: channels() });
  client = await EpicsControlSystem.create('check', { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.ca, repeaterPort: ioc.ports.caRepeater, timeout: 5000 });
  initial = await setpointsNow();
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-hostile-'));
  const diamondDir = join(dir, 'diamond');
  cpSync(DIAMOND, diamondDir, { recursive: true });
  const small = smallFacility(ioc.ports);
  const diamondText = readFileSync(join(DIAMOND, 'facility.yaml'), 'utf8');
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
  // Rows run concurrently and several write the same file (f.yaml): written aside, then renamed
  // into place, so that a row never reads a file another row is rewriting.
  let written = 0;
  const file = (name: string, text: string | Buffer) => {
    const p = join(dir, name);
    const aside = join(dir, `.${name}.${++written}.tmp`);
    writeFileSync(aside, text);
    renameSync(aside, p);
    return p;
  };
  ctx = {
    dir,
    ports: ioc.ports,
    deadPid,
    file,
    facility: (name, edit) => file(`${name}.yaml`, edit ? edit(small) : small),
    diamond: (name, edit) => {
      const p = join(diamondDir, `${name}.yaml`);
      writeFileSync(p, edit ? edit(diamondText) : diamondText);
      return p;
    },
  };
  // Measurement files: intact, one value changed in place (uncompressed), 4 KB of garbage in the compressed block.
  const sha = sha256Of('w15');
  const f = await MeasurementFile.create(join(dir, 'm.h5'), { dataType: 'orbit_response_matrix', author: 'w15', facility: { name: 'w15', configSha256: sha }, lattice: { sha256: sha }, mode: 'twin', errorSeed: 1, setpoints: [] });
  f.writeDataset('big', Float64Array.from({ length: 20000 }, (_, i) => Math.sin(i) * 1e-3), { unit: 'm' });
  f.writeDataset('small', Float64Array.from({ length: 100 }, (_, i) => 1000 + i * 0.125), { unit: 'm' });
  f.close();
  const bytes = readFileSync(join(dir, 'm.h5'));
  const flip = Buffer.from(bytes);
  const at = bytes.indexOf(Buffer.from(Float64Array.of(1000, 1000.125).buffer));
  expect(at).toBeGreaterThan(0);
  flip.writeDoubleLE(1234.5, at + 8);
  writeFileSync(join(dir, 'm-flip.h5'), flip);
  // A block replaced after writing (h5py deletes and recreates it: its checksum attribute is gone).
  cpSync(join(dir, 'm.h5'), join(dir, 'm-replaced.h5'));
  execFileSync('/usr/bin/python3', ['-c', "import sys, h5py\nwith h5py.File(sys.argv[1], 'r+') as f:\n    v = f['data/small'][()] * 2\n    del f['data/small']\n    f['data/small'] = v\n", join(dir, 'm-replaced.h5')]);
  const garbage = Buffer.from(bytes);
  for (let i = 0; i < 4096; i++) garbage[Math.floor(bytes.length / 2) + i] = (i * 7919) & 255;
  writeFileSync(join(dir, 'm-4k.h5'), garbage);
  await runScan(join(dir, 'scan'), SCAN, async (p) => ({ rms: p.values.kick * 2 }), { durable: false });
  // The same scan with 4 KB of garbage in its manifest.
  cpSync(join(dir, 'scan'), join(dir, 'scan-bad'), { recursive: true });
  const manifest = readFileSync(join(dir, 'scan-bad', 'scan_manifest.h5'));
  for (let i = 0; i < 4096; i++) manifest[Math.floor(manifest.length / 4) + i] = (i * 7919) & 255;
  writeFileSync(join(dir, 'scan-bad', 'scan_manifest.h5'), manifest);
}, 120_000);

afterAll(async () => {
  // No refused command made its output directory.
  const made = ctx !== undefined && existsSync(join(ctx.dir, 'never'));
  await client?.close();
  await ioc?.stop();
  if (ctx) rmSync(ctx.dir, { recursive: true, force: true });
  expect(made, 'a refused command created its output directory').toBe(false);
});

describe('hostile input: never written, never hung, never reported as success (issue 15)', () => {
  it.concurrent.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    c.before?.(ctx);
    const args = c.bare ? [ctx.file('bare.mjs', BARE), ...c.args(ctx)] : [BIN, ...c.args(ctx)];
    const r = await mlayer(args, c.env?.(ctx) ?? {}, (c.within ?? 100) * 1000);
    const shown = `exit ${r.code} after ${r.seconds.toFixed(1)} s\nstderr: ${r.err}\nstdout: ${r.out.slice(0, 2000)}`;
    expect(r.code, shown).toBe(c.code);
    if (typeof c.message === 'string') expect(r.err, shown).toContain(c.message);
    else expect(r.err, shown).toMatch(c.message);
    if (c.stdout !== undefined) {
      if (typeof c.stdout === 'string') expect(r.out, shown).toContain(c.stdout);
      else expect(r.out, shown).toMatch(c.stdout);
    }
    // One line of message (the HDF5 library's own output never shows), unless the row expects more.
    const lines = r.err.split('\n').filter((l) => l.trim() !== '').length;
    expect(lines, shown).toBeLessThanOrEqual(c.lines ?? 1);
    expect(r.err, shown).not.toMatch(/HDF5-DIAG|restoring setpoints failed/);
    if (c.within !== undefined) expect(r.seconds, shown).toBeLessThan(c.within);
    if (c.writes) expect(await setpointsNow(), 'the set points on the IOC changed').toEqual(initial);
    c.after?.(ctx, r);
  }, 120_000);
});
