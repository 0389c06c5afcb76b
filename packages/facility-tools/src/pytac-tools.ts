/**
 * The `tools` section of an imported facility: defaults the importer can state from
 * the families (the response-matrix step of every corrector family whose kick is in
 * rad, the BPM and corrector families of the model commands, a golden orbit of zeros),
 * merged with a hand-written tools file for what pytac does not know (the tune and
 * chromaticity knobs, the RF step of the dispersion, the golden orbit of the machine).
 */
import { ToolsSchema, isFamilyOfClass, type ToolsConfig } from '@mlayer/core';
import { readHandWrittenYaml } from './hand-written-yaml.js';

/** Half-amplitude of the response-matrix step written for every corrector family kicking in rad: 10 µrad (~0.1 mm orbit change on a 3 GeV ring). */
export const DEFAULT_ORM_STEP = 1e-5;

/** Name of the golden orbit file the importer writes (zeros) when the tools file names none; never written over. */
export const GOLDEN_FILE = 'golden-orbit.yaml';

/** What the tools section needs of a family (the importer's families and the schema's input both fit). */
interface FamilyLike {
  readonly elementClass: string;
  readonly memberOf?: readonly string[];
  readonly fields: { readonly setpoint?: { readonly units: { readonly physics: string } }; readonly readback?: { readonly units: unknown; readonly dataType?: string }; readonly monitor?: { readonly units: unknown; readonly dataType?: string } };
  readonly devices: readonly { readonly name: string }[];
}
type Families = Readonly<Record<string, FamilyLike>>;

/** BPM families of point readings (one value per device). */
export function bpmFamilies(families: Families): string[] {
  return Object.keys(families).filter((n) => isFamilyOfClass(families[n], 'bpm') && (families[n].fields.monitor ?? families[n].fields.readback)?.dataType !== 'array');
}

/** The defaults stated from the families alone. */
export function defaultTools(families: Families): ToolsConfig {
  const cors = Object.keys(families).filter((n) => isFamilyOfClass(families[n], 'corrector') && families[n].fields.setpoint?.units.physics === 'rad');
  const orbitCors = cors.filter((n) => isFamilyOfClass(families[n], 'hcm') || isFamilyOfClass(families[n], 'vcm'));
  const bpms = bpmFamilies(families);
  return {
    orbit: cors.length > 0 ? { ormStep: Object.fromEntries(cors.map((n) => [n, DEFAULT_ORM_STEP])) } : undefined,
    model: { ...(bpms.length > 0 ? { bpms } : {}), ...(orbitCors.length > 0 ? { correctors: orbitCors } : {}) },
  };
}

/** Reads a hand-written tools file (YAML: the facility's `tools` section); a problem names the file, line, field and value. */
export function readToolsFile(path: string): ToolsConfig {
  const { doc, issueError } = readHandWrittenYaml(path, 'tools');
  const parsed = ToolsSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw issueError([], parsed.error.issues[0], 'tools.');
  return parsed.data;
}

/** Defaults, then the tools file section by section (its orbit and model keys replace the defaults' one by one). */
export function mergeTools(defaults: ToolsConfig, given: ToolsConfig | undefined): ToolsConfig {
  if (!given) return defaults;
  return {
    ...defaults,
    ...given,
    orbit: defaults.orbit || given.orbit ? { ...defaults.orbit, ...given.orbit } : undefined,
    model: defaults.model || given.model ? { ...defaults.model, ...given.model } : undefined,
  };
}

/** A golden orbit of zeros for every BPM of the point-reading BPM families, in mm, with a header saying what it is. */
export function zeroGoldenOrbit(name: string, families: Families): string {
  const lines = [
    `# Golden orbit of ${name} (MML getgolden): the BPM readings \`mlayer orbit correct\` steers to, relative to`,
    '# the BPM offsets (tools.orbit.offsets). Written by `mlayer facility import-pytac` as zeros for every BPM',
    '# (the beam through the BPM centres); put the golden orbit of the machine here: the importer never',
    '# writes over this file. Format: unit (of every value), then BPM family -> device name -> value;',
    '# a BPM left out is 0.',
    'unit: mm',
    'families:',
  ];
  for (const fam of bpmFamilies(families)) {
    lines.push(`  ${fam}:`);
    for (const d of families[fam].devices) lines.push(`    ${JSON.stringify(d.name)}: 0`);
  }
  return `${lines.join('\n')}\n`;
}
