import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { ToolsConfig } from '@mlayer/core';
import { PytacImportError } from './errors.js';
import { facilityYaml } from './facility-yaml.js';
import { PCHIP_FILE, POLY_FILE } from './pytac-conversions.js';
import { PYTAC_FILES, readPytac } from './pytac-csv.js';
import { buildPytacFacility, type BuiltFacility } from './pytac-facility.js';
import { mergeFamilies, readFamiliesFile } from './extra-families.js';
import { readBeamFile } from './beam-sections.js';
import { DEFAULT_ORM_STEP, GOLDEN_FILE, defaultTools, mergeTools, readToolsFile, zeroGoldenOrbit } from './pytac-tools.js';

export interface ImportPytacOptions {
  /** Folder with pytac's seven CSV files (elements.csv, families.csv, ...). */
  readonly pytacDir: string;
  /** AT lattice file of the same machine (copied into the package). */
  readonly latticeFile: string;
  /** Output folder: the facility package. */
  readonly outDir: string;
  /** Facility name (also the package name `@mlayer/facility-<name>`). */
  readonly name: string;
  readonly description?: string;
  /** Provenance and licence of the pytac data and lattice, Markdown (goes into README.md). */
  readonly provenance?: string;
  /** `credits:` of the facility file. */
  readonly credits?: string;
  /**
   * Hand-written tools section (YAML) merged over the defaults the importer states (pytac-tools.ts):
   * knob families, RF step, golden orbit, offsets, ... Its paths are relative to the output folder.
   */
  readonly toolsFile?: string;
  /**
   * Hand-written families (YAML: name -> family) added after pytac's (extra-families.ts): what pytac
   * does not describe, such as the beam-parameter monitors of the twin. A name pytac has is refused.
   */
  readonly familiesFile?: string | readonly string[];
  /**
   * Hand-written beam sections (YAML: injection, chamber, openLine; beam-sections.ts): the injection
   * point and injected beam, the vacuum chamber apertures per element class, an open line.
   */
  readonly beamFile?: string;
}

export interface FamilySummary {
  readonly name: string;
  readonly elementClass: string;
  readonly devices: number;
}

export interface ImportPytacResult {
  readonly outDir: string;
  readonly facilityFile: string;
  readonly packageName: string;
  readonly families: readonly FamilySummary[];
  readonly devices: number;
  readonly pvs: number;
  readonly conversions: number;
  /** Conventions applied and traps found (also in README.md). */
  readonly notes: readonly string[];
  readonly files: readonly string[];
}

/**
 * Turns a pytac machine description plus its AT lattice into an mlayer facility
 * package in `outDir`: facility.yaml, the lattice file, pytac's curve files
 * (unchanged), package.json and README.md.
 */
export function importPytac(options: ImportPytacOptions): ImportPytacResult {
  const pytacDir = resolve(options.pytacDir);
  const latticeSrc = resolve(options.latticeFile);
  const outDir = resolve(options.outDir);
  if (!existsSync(latticeSrc)) throw new PytacImportError(latticeSrc, undefined, 'lattice file not found');
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(options.name)) {
    throw new PytacImportError(outDir, undefined, `facility name '${options.name}' must be lower-case letters, digits, '.', '_' or '-' (it names the npm package)`);
  }
  const data = readPytac(pytacDir);
  const latticeFile = basename(latticeSrc);
  const given = options.toolsFile !== undefined ? readToolsFile(options.toolsFile) : undefined;
  // One or more families files, merged in order (a name given twice is refused).
  const familiesFiles = options.familiesFile === undefined ? [] : typeof options.familiesFile === 'string' ? [options.familiesFile] : [...options.familiesFile];
  const extraFamilies = familiesFiles.map((f) => ({ file: f, families: readFamiliesFile(f) }));
  const beam = options.beamFile !== undefined ? readBeamFile(options.beamFile) : {};
  const raw = buildPytacFacility(data, {
    name: options.name,
    latticeFile,
    description: options.description,
    credits: options.credits,
  });
  // The tools section goes before the (long) unit conversions and families, where it is seen.
  const tools = mergeTools(defaultTools(raw.facility.families), given);
  const writeGolden = tools.orbit?.golden === undefined;
  if (writeGolden) tools.orbit = { ...tools.orbit, golden: GOLDEN_FILE };
  const { unitConversions, families: pytacFamilies, ...head } = raw.facility;
  const families = extraFamilies.reduce((all, extra) => mergeFamilies(all, extra.families, extra.file), pytacFamilies);
  const built: BuiltFacility = { ...raw, facility: { ...head, tools, ...beam, unitConversions, families } };

  mkdirSync(join(outDir, 'pytac'), { recursive: true });
  // A golden orbit of zeros, unless the package has one: the golden orbit is the machine's data, never written over.
  if (writeGolden && !existsSync(join(outDir, GOLDEN_FILE))) writeFileSync(join(outDir, GOLDEN_FILE), zeroGoldenOrbit(options.name, families));
  const facilityFile = join(outDir, 'facility.yaml');
  writeFileSync(facilityFile, facilityYaml(built, header(options.name, pytacDir, latticeFile)));
  copy(latticeSrc, join(outDir, latticeFile));
  copy(join(pytacDir, PYTAC_FILES.polyData), join(outDir, POLY_FILE));
  copy(join(pytacDir, PYTAC_FILES.pchipData), join(outDir, PCHIP_FILE));
  const packageName = `@mlayer/facility-${options.name}`;
  const files = ['facility.yaml', latticeFile, POLY_FILE, PCHIP_FILE, 'README.md', ...toolFiles(tools)];
  const pkg = {
    name: packageName,
    version: '0.1.0',
    description: `mlayer facility ${options.name}: families, EPICS channels, unit conversions and lattice (imported from pytac)`,
    license: 'Apache-2.0',
    files,
    mlayer: { facility: 'facility.yaml' },
  };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(outDir, 'README.md'), readme(options, built, latticeFile, packageName));

  const fams = Object.entries(built.facility.families).map(([name, f]) => ({ name, elementClass: f.elementClass, devices: f.devices.length }));
  return {
    outDir,
    facilityFile,
    packageName,
    families: fams,
    devices: fams.reduce((s, f) => s + f.devices, 0),
    pvs: built.pvCount,
    conversions: Object.keys(built.facility.unitConversions).length,
    notes: built.notes,
    files: [...files, 'package.json'],
  };
}

/** Files the tools section names (in the package: listed in package.json files). */
function toolFiles(tools: ToolsConfig): string[] {
  return [tools.orbit?.golden, tools.orbit?.offsets, tools.orbit?.responseMatrix].filter((f): f is string => f !== undefined && !isAbsolute(f));
}

/** Copies bytes unchanged; the copy is writable (sources may be read-only) so that a later import can replace it. */
function copy(from: string, to: string): void {
  if (existsSync(to)) chmodSync(to, 0o644);
  copyFileSync(from, to);
  chmodSync(to, 0o644);
}

function header(name: string, pytacDir: string, latticeFile: string): string {
  return [
    `mlayer facility '${name}', generated by \`mlayer facility import-pytac\` from the pytac`,
    `machine description in ${basename(pytacDir)}/ and the AT lattice ${latticeFile}. Do not edit by hand:`,
    'fix the importer or its input and generate again (see README.md).',
    '',
    'Conventions:',
    "- element: 0-based AT element index (pytac el_id - 1); FamNames repeat in this lattice.",
    '- device [sector, index]: sector = cell number of the device name (SR01C-... -> 1; the letter',
    '  after it is not used), or that of the nearest named element before it along the ring;',
    '  index = rank in the sector along the ring. Ring-level devices: [k, 1]. See README.md.',
    '- set_pv -> setpoint, get_pv -> readback (monitor for read-only devices). PV names unchanged.',
    '- unitConversions: one per pytac curve (poly_<uc_id>, pchip_<uc_id>), hardware = pytac engineering',
    '  units, physics = pytac physics units; curves read from the unchanged pytac files in pytac/.',
    '  rigidity: pytac divides by B.rho for the hstr, vstr, quadrupole, sextupole and bend families.',
    '- settleTime, tolerance (setpoint) and updatePeriod (readings): pytac states none; these are the',
    "  element-class defaults of mlayer (@mlayer/core settling-defaults.ts), written out: check them",
    '  against the machine.',
    '',
  ].join('\n');
}

function familiesFiles(o: ImportPytacOptions): string[] {
  return o.familiesFile === undefined ? [] : typeof o.familiesFile === 'string' ? [o.familiesFile] : [...o.familiesFile];
}

function readme(o: ImportPytacOptions, built: BuiltFacility, latticeFile: string, packageName: string): string {
  const f = built.facility;
  const rows = Object.entries(f.families).map(([name, fam]) => {
    const fields = Object.keys(fam.fields).join(', ');
    const model = fam.model ? `${fam.model.field}${fam.model.index !== undefined ? `[${fam.model.index}]` : ''}` : '—';
    return `| \`${name}\` | ${fam.elementClass} | ${fam.devices.length} | ${fields} | ${model} | ${fam.description} |`;
  });
  const nDevices = Object.values(f.families).reduce((s, fam) => s + fam.devices.length, 0);
  return `# ${packageName}

The mlayer facility **${f.name}**: ${Object.keys(f.families).length} families, ${nDevices} devices, ${built.pvCount} EPICS PVs, ${Object.keys(f.unitConversions).length} unit conversions, the AT lattice \`${latticeFile}\` (beam energy ${f.energy} eV). Control systems: \`twin\` (the digital twin, serving the EPICS names; default) and \`epics\`.

Generated by the pytac importer of \`@mlayer/facility-tools\`:

\`\`\`sh
mlayer facility import-pytac <pytac folder> --lattice <lattice file> -o <this folder> --name ${f.name}${o.provenance ? ' --provenance PROVENANCE.md' : ''}${o.toolsFile ? ` --tools ${basename(o.toolsFile)}` : ''}${familiesFiles(o).map((f) => ` --families ${basename(f)}`).join('')}${o.beamFile ? ` --beam ${basename(o.beamFile)}` : ''}
\`\`\`

Do not edit \`facility.yaml\` by hand: fix the importer or its input and generate again.

## Files

| file | content |
|---|---|
| \`facility.yaml\` | the facility (mlayer schema; \`mlayer schema\` prints its JSON Schema) |
| \`${latticeFile}\` | the AT lattice, unchanged |
| \`${POLY_FILE}\`, \`${PCHIP_FILE}\` | pytac's unit-conversion curves, unchanged (byte for byte: check with \`git hash-object\`) |
| \`package.json\` | \`"mlayer": { "facility": "facility.yaml" }\` tells mlayer where the facility file is |
${f.tools?.orbit?.golden === GOLDEN_FILE ? `| \`${GOLDEN_FILE}\` | the golden orbit (zeros until the machine's is put there; never written over by the importer) |\n` : ''}${o.toolsFile ? `| \`${basename(o.toolsFile)}\` | the hand-written tool defaults merged into \`facility.yaml\` (\`--tools\`) |\n` : ''}${familiesFiles(o).map((f) => `| \`${basename(f)}\` | hand-written families added after pytac's (\`--families\`): what pytac does not describe |\n`).join('')}${o.beamFile ? `| \`${basename(o.beamFile)}\` | the hand-written injection point, vacuum chamber apertures and open line (\`--beam\`) merged into \`facility.yaml\` |\n` : ''}
The curves are referred to by \`uc_id\` (\`csv: { path, where: { uc_id } }\`) rather than copied into the YAML: the files stay identical to pytac's and can be checked against its git blobs, a curve exists once however many magnets use it, and \`@mlayer/calibration\` reads each file once.

## Tool defaults

\`facility.yaml\` has a \`tools\` section: what a command uses when its option is left out (every option overrides it; \`mlayer schema\` documents each field).

| field | value | used by |
|---|---|---|
${toolsRows(f.tools ?? {}).join('\n')}

The importer states the response-matrix step (${DEFAULT_ORM_STEP * 1e6} µrad, physics units, for every corrector family kicking in rad: about 0.1 mm of orbit change on a 3 GeV ring), the BPM and corrector families of the model commands (the BPM families, the HCM/VCM groups) and, unless the package has one, a golden orbit of zeros (\`${GOLDEN_FILE}\`: unit, then BPM family → device name → value; a BPM left out is 0; replace it with the machine's golden orbit, the importer never writes over it).${o.toolsFile ? ` The rest comes from the hand-written \`${basename(o.toolsFile)}\` given with \`--tools\` (its comments say why each value).` : ''} Measurement files go to \`tools.dataDir\` (relative to \`facility.yaml\`) when it is set, else to \`./out\` of the working directory, named by kind and UTC time (\`orm-20261205T174012Z.h5\`), never written over.

${o.provenance ? `## Provenance and licence\n\n${o.provenance.trim()}\n\n` : ''}## How pytac maps onto mlayer

- **Families.** pytac puts an element in several families at once (a Diamond sextupole is in \`S2A\`, \`HSTR\`, \`VSTR\` and \`SQUAD\` and carries the fields b2, x_kick, y_kick, a1 and four feedback flags); an mlayer family holds one kind of device. Each pytac device (element field with PVs) goes to one family: BPM \`x\`/\`y\` → \`BPMx\`/\`BPMy\`; \`x_kick\` → \`HSTR\` (else \`HTRIM\`); \`y_kick\` → \`VSTR\` (else \`VTRIM\`); \`a1\` → \`SQUAD\`; the main field of a magnet (b1 quadrupole, b2 sextupole, b0 bend, f cavity) → the element's own pytac family (\`Q1D\`, \`S2A\`, \`BB\`, \`RF\`, ...); ring-level devices → \`DCCT\`, \`TUNE\` (x and y), \`EMITx\`, \`EMITy\` (pytac gives them different units); every other field F of a family O → \`O_F\` (\`BPM_enabled\`, \`HSTR_h_fofb_disabled\`, \`BBVMXL_db0\`).
- **Elements.** \`element\` is the 0-based AT index (pytac el_id − 1), since FamNames repeat.
- **Devices \`[sector, index]\`.** sector = the cell number of the device name (\`SR01C-DI-EBPM-01\` → 1; the letter after the number — A, C, S, I, J — is not used); a name without a cell number (\`SR-PC-DIPOL-01\`, \`LI-RF-MOSC-01\`) takes the sector of the nearest element before it along the ring whose device name has one. index = 1-based rank of the device in its sector along the ring. Ranking (rather than the name's trailing number) keeps devices unique where names with different letters share a number (\`SR09S-DI-EBPM-01\` / \`SR09C-DI-EBPM-01\`, \`SR02I-PC-HSTR-11\` / \`SR02J-PC-HSTR-11\`, \`SR02A-PC-HSTR-01\` / \`SR02A-PC-HSCOR-01\`). Ring-level devices are \`[k, 1]\` (\`TUNE\`: [1, 1] x, [2, 1] y). Device names are pytac's device names, with \`#k\` added where one supply drives several magnets (the 46 \`BB\` dipoles on \`SR-PC-DIPOL-01\`) and \`#<field>\` where ring-level devices share a name (\`SR23C-DI-TMBF-01#tune_x\`); the two \`TUNE\` devices carry their own \`plane\`.
- **Channels.** \`set_pv\` → setpoint, \`get_pv\` → readback (or monitor for read-only devices), names unchanged; written as a family template \`{name}<suffix>\` where every device's PV is its name plus one suffix, else per device.
- **Unit conversions.** One entry per pytac curve: \`poly_<uc_id>\` (polynomial, phys = Σ c_k·eng^k) and \`pchip_<uc_id>\` (monotone PCHIP table), hardware = pytac engineering value, physics = pytac physics value (pytac's direction, eng → phys). For elements in the families pytac divides by Bρ (hstr, vstr, quadrupole, sextupole, bend) the curve gives the field and a \`rigidity\` conversion divides it by the live Bρ. Limits are unitconv.csv's lower/upper limits (hardware units); a table whose limits reach beyond its points is extended with its end pieces over the limits (pytac's PchipInterpolator extrapolates too).
- **Trims.** \`HTRIM\`/\`VTRIM\` (the thin trim correctors of the straights) are not in pytac's Bρ families: their curves give the kick directly, in rad, at any energy (as in pytac). Settle times, readback tolerances and update periods are not in pytac's files: the importer writes mlayer's element-class defaults (\`settling-defaults.ts\` of \`@mlayer/core\`: a table with its reasoning) explicitly into every family, so that the file shows what a measurement waits for; check them against the machine and change them in the importer's output.
- **Model bindings.** Correctors \`KickAngle\` [0] / [1], quadrupoles \`PolynomB\`[1], sextupoles \`PolynomB\`[2], skew quadrupoles \`PolynomA\`[1], RF \`Frequency\`, BPMs \`Orbit\` [0] (x) / [2] (y). Bends \`BendingAngle\` with \`perLength\`: pytac's b0 (1/ρ, m⁻¹) is BendingAngle / Length. Devices sharing one power supply (the 46 dipoles on SR-PC-DIPOL-01) share its PVs; the twin drives all their magnets from that one supply.
- **Beam monitors.** \`TUNE\`, \`DCCT\` and the emittance families \`EMITx\`/\`EMITy\` (element class \`Emittance\`: the pinhole camera, in pytac's nm and pm) have no model field: the twin reads them by their class and plane. It computes the emittances (and the energy spread, bunch length, synchrotron tune and energy loss of families of those classes) from the 6D equilibrium of its model (radiation and RF cavity on, Ohmi envelope; \`@mlayer/adapters-sim\` beam-parameters.ts), when one is read after the model changed; a lattice without an RF cavity gives an error naming the family.

## Import notes

${built.notes.map((n) => `- ${n}`).join('\n')}
- pytac gives kick angles no physics unit; they are in rad here.

## Families

| family | class | devices | fields | model | pytac origin |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

/** One README row per tools field: field, value, the command that uses it. */
function toolsRows(t: ToolsConfig): string[] {
  const v = (x: unknown) => `\`${Array.isArray(x) ? x.join(', ') : String(x)}\``;
  const rows: string[] = [];
  if (t.dataDir) rows.push(`| \`dataDir\` | ${v(t.dataDir)} | every command writing measurement files |`);
  for (const [fam, step] of Object.entries(t.orbit?.ormStep ?? {})) rows.push(`| \`orbit.ormStep.${fam}\` | ${step} rad | \`mlayer orbit measure-orm\` without \`--kick\` |`);
  if (t.orbit?.dispersionStep !== undefined) rows.push(`| \`orbit.dispersionStep\` | ${t.orbit.dispersionStep} Hz | \`mlayer orbit measure-dispersion\` without \`--step\` |`);
  if (t.orbit?.golden) rows.push(`| \`orbit.golden\` | ${v(t.orbit.golden)} | \`mlayer orbit correct\` (target; \`--target zero\` for none) |`);
  if (t.orbit?.offsets) rows.push(`| \`orbit.offsets\` | ${v(t.orbit.offsets)} | \`mlayer orbit correct\` (subtracted; \`--no-offsets\`) |`);
  if (t.orbit?.responseMatrix) rows.push(`| \`orbit.responseMatrix\` | ${v(t.orbit.responseMatrix)} | \`mlayer orbit correct\`, \`bump\` without \`--orm\` |`);
  if (t.tune) rows.push(`| \`tune.families\` | ${v(t.tune.families)} | \`mlayer tune set\` without \`--families\` |`);
  if (t.chromaticity) rows.push(`| \`chromaticity.families\` | ${v(t.chromaticity.families)} | \`mlayer chrom set\` without \`--families\` |`);
  if (t.model?.lattice) rows.push(`| \`model.lattice\` | ${v(t.model.lattice)} | \`mlayer model ...\` without \`--lattice\` |`);
  if (t.model?.bpms) rows.push(`| \`model.bpms\` | ${v(t.model.bpms)} | \`mlayer model ...\` without \`--lattice\`/\`--bpms\` |`);
  if (t.model?.correctors) rows.push(`| \`model.correctors\` | ${v(t.model.correctors)} | \`mlayer model orm\` without \`--lattice\`/\`--correctors\` |`);
  return rows;
}
