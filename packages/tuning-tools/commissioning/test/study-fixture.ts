/**
 * A small commissioning test facility on disk (workers and Slurm tasks load it by
 * path): the ThomX ring on the twin with BPMx/BPMy on every monitor, HCM/VCM on
 * every corrector (0.1 mrad/A), each quadrupole on its own supply (QUAD group, BBA
 * pairs), the sextupole families, RF and a tune monitor; an error set (quadrupole
 * misalignments and field errors, BPM offsets and noise) and a tiny sequence.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sharedDataDir } from '@mlayer/core/testing';

const THOMX = join(sharedDataDir(), 'lattices/thomx');

interface AtElementJson {
  FamName: string;
  Class?: string;
  PolynomB?: number[];
}

/** `twin`: extra settings of the twin (an error file and its seed, for a machine opened without a study). */
export function writeThomxFacility(dir: string, twin: Record<string, unknown> = {}, extra: { skew?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const latticeFile = join(THOMX, 'thomx_4d.atjson.json');
  const els = (JSON.parse(readFileSync(latticeFile, 'utf8')) as { elements: AtElementJson[] }).elements;
  const idx = (pred: (e: AtElementJson) => boolean) => els.flatMap((e, i) => (pred(e) ? [i] : []));
  const devices = (list: number[]) => list.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));
  const bpms = idx((e) => e.Class === 'Monitor');
  const cors = idx((e) => e.Class === 'Corrector');
  const rf = idx((e) => e.Class === 'RFCavity');
  const families: Record<string, unknown> = {
    BPMx: { elementClass: 'BPM', plane: 'x', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms) },
    BPMy: { elementClass: 'BPM', plane: 'y', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:Y' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms) },
    RF: {
      elementClass: 'RF',
      model: { field: 'Frequency' },
      fields: { setpoint: { channels: { twin: 'RF:FREQ:SP' }, units: { hardware: 'Hz', physics: 'Hz' } }, readback: { channels: { twin: 'RF:FREQ:RB' }, units: { hardware: 'Hz', physics: 'Hz' } } },
      devices: [{ device: [1, 1], name: 'RF', element: rf[0] }],
    },
    TUNE: {
      elementClass: 'Tune',
      fields: { monitor: { units: { hardware: '', physics: '' } } },
      devices: [
        { device: [1, 1], name: 'TUNEX', plane: 'x', channels: { monitor: { twin: 'TUNE:X' } } },
        { device: [1, 2], name: 'TUNEY', plane: 'y', channels: { monitor: { twin: 'TUNE:Y' } } },
      ],
    },
  };
  for (const [plane, name, index] of [['x', 'HCM', 0], ['y', 'VCM', 1]] as const) {
    families[name] = {
      elementClass: 'Corrector',
      memberOf: ['COR', name],
      plane,
      model: { field: 'KickAngle', index },
      fields: {
        setpoint: { channels: { twin: `${name}:{sector}:{index}:SP` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-20, 20] },
        readback: { channels: { twin: `${name}:{sector}:{index}:RB` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm' },
      },
      devices: devices(cors),
    };
  }
  for (const [cls, order, prefix, conv] of [['Quadrupole', 1, 'Q', 'q'], ['Sextupole', 2, 'S', 's']] as const) {
    for (const fam of [...new Set(els.filter((e) => e.Class === cls).map((e) => e.FamName))]) {
      const list = idx((e) => e.Class === cls && e.FamName === fam);
      const k = els[list[0]].PolynomB?.[order] ?? 0;
      families[`${prefix}_${fam}`] = {
        elementClass: cls,
        memberOf: [cls === 'Quadrupole' ? 'QUAD' : 'SEXT'],
        model: { field: 'PolynomB', index: order },
        fields: { setpoint: { channels: { twin: `${fam}:{sector}:{index}:SP` }, units: { hardware: 'A', physics: cls === 'Quadrupole' ? 'm^-2' : 'm^-3' }, conversion: conv, limits: [k - 0.5 * Math.abs(k), k + 0.5 * Math.abs(k)] } },
        devices: devices(list),
      };
    }
  }
  if (extra.skew) {
    // Skew quadrupole windings on every quadrupole (PolynomA[1]), each on its own supply: what LOCO's coupling fit corrects with.
    families.SKEW = {
      elementClass: 'SkewQuadrupole',
      model: { field: 'PolynomA', index: 1 },
      fields: { setpoint: { channels: { twin: 'SKEW:{sector}:{index}:SP' }, units: { hardware: 'A', physics: 'm^-2' }, conversion: 'q', limits: [-0.5, 0.5] } },
      devices: devices(idx((e) => e.Class === 'Quadrupole')),
    };
  }
  const doc = {
    name: 'thomx-commissioning-test',
    energy: 50e6,
    lattice: { file: latticeFile },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 10, seed: 7, tuneNoise: 1e-5, ...twin } } },
    unitConversions: {
      cm: { type: 'linear', gain: 1e-4, hardwareUnits: 'A', physicsUnits: 'rad' },
      q: { type: 'linear', gain: 1, hardwareUnits: 'A', physicsUnits: 'm^-2' },
      s: { type: 'linear', gain: 1, hardwareUnits: 'A', physicsUnits: 'm^-3' },
    },
    families,
    tools: { tune: { families: ['Q_QP1', 'Q_QP2'] }, chromaticity: { families: ['S_SX1', 'S_SX2'] } },
  };
  const file = join(dir, 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export function writeErrors(dir: string): string {
  const file = join(dir, 'errors.yaml');
  writeFileSync(
    file,
    stringify({
      description: 'commissioning test errors',
      magnets: { QUAD: { dx: { sigma: 60e-6, truncation: 2 }, dy: { sigma: 60e-6, truncation: 2 }, field: { sigma: 2e-3, truncation: 2 } } },
      bpms: { BPMx: { offset: { sigma: 100e-6, truncation: 2 }, noise: 1e-6 }, BPMy: { offset: { sigma: 100e-6, truncation: 2 }, noise: 1e-6 } },
    }),
  );
  return file;
}

/** A tiny sequence: orbit correction, BBA of two BPMs, orbit to the BBA offsets, tunes, figures. */
export const TINY_SEQUENCE = `name: tiny
beam: stored
stages:
  - stage: orbit-correction
    parameters: { iterations: 3 }
    success: { orbit_true_rms_x: { max: 1.0e-3 } }
  - stage: bba
    parameters: { planes: [x], bpms: [E%BPM0%, E%BPM1%] }
    onFailure: skip
  - stage: orbit-correction
    name: orbit-to-bba
    parameters: { iterations: 2 }
  - stage: tune-correction
    parameters: { iterations: 2, tolerance: 1.0e-4 }
    success: { tune_error_x: { max: 1.0e-3 }, tune_error_y: { max: 1.0e-3 } }
    onFailure: { retry: [{ iterations: 4 }], then: skip }
  - stage: figures
`;

export function writeSequence(dir: string, text = TINY_SEQUENCE): string {
  const ref = JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8')) as { optics_at_bpms: { index: number[] } };
  const b = ref.optics_at_bpms.index;
  const file = join(dir, 'sequence.yaml');
  writeFileSync(file, text.replace('%BPM0%', String(b[0])).replace('%BPM1%', String(b[5])));
  return file;
}
