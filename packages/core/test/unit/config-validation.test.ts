import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, ControlSystemRegistry, createAccelerator, loadFacility } from '../../src/index.js';
import { registerMemory } from '../../src/testing/index.js';
import { RING, testConversions } from '../helpers.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test mutations of raw YAML data
const base = (): Doc => parse(readFileSync(RING, 'utf8')) as Doc;
const dir = mkdtempSync(join(tmpdir(), 'mlayer-config-'));

interface Case {
  name: string;
  /** Mutates the valid example, or gives the raw text of the file. */
  edit?: (d: Doc) => void;
  text?: string;
  ext?: string;
  /** The dotted path the error must name. */
  path: string;
  /** Text the message must contain (the value or what was expected). */
  mentions: (string | RegExp)[];
  /** Expected line (YAML files written by the test are checked for a line number). */
  line?: boolean;
}

const cases: Case[] = [
  { name: 'missing name', edit: (d) => delete d.name, path: 'name', mentions: [/required field missing/] },
  { name: 'energy is a string', edit: (d) => (d.energy = 'three GeV'), path: 'energy', mentions: ['"three GeV"', /number/] },
  { name: 'negative energy', edit: (d) => (d.energy = -3e9), path: 'energy', mentions: ['-3000000000'] },
  { name: 'unknown particle', edit: (d) => (d.particle = 'muon'), path: 'particle', mentions: ['"muon"', /electron/] },
  { name: 'misspelt top-level key', edit: (d) => (d.familes = {}), path: 'familes', mentions: [/unknown key 'familes'/, /families/] },
  { name: 'no control systems', edit: (d) => (d.controlSystems = {}), path: 'controlSystems', mentions: [/at least one control system/] },
  { name: 'control system without type', edit: (d) => delete d.controlSystems.sim.type, path: 'controlSystems.sim.type', mentions: [/required/] },
  { name: 'misspelt control-system key', edit: (d) => (d.controlSystems.sim.setings = {}), path: 'controlSystems.sim.setings', mentions: [/unknown key 'setings'/] },
  { name: 'channelNames naming a missing system', edit: (d) => (d.controlSystems.online.channelNames = 'epics'), path: 'controlSystems.online.channelNames', mentions: ['"epics"', /another control system/] },
  { name: 'channelNames naming itself', edit: (d) => (d.controlSystems.online.channelNames = 'online'), path: 'controlSystems.online.channelNames', mentions: ['"online"'] },
  { name: 'defaultMode not defined', edit: (d) => (d.defaultMode = 'tango'), path: 'defaultMode', mentions: ['"tango"', /sim, online/] },
  { name: 'no families', edit: (d) => (d.families = {}), path: 'families', mentions: [/at least one family/] },
  { name: 'family name with a space', edit: (d) => (d.families['BAD NAME'] = d.families.QF), path: 'families.BAD NAME', mentions: [/identifier/] },
  { name: 'family without devices', edit: (d) => (d.families.QF.devices = []), path: 'families.QF.devices', mentions: [/at least one device/] },
  { name: 'family without fields', edit: (d) => (d.families.QF.fields = {}), path: 'families.QF.fields', mentions: [/at least one of setpoint/] },
  { name: 'unknown field name', edit: (d) => (d.families.QF.fields.current = d.families.QF.fields.setpoint), path: 'families.QF.fields.current', mentions: [/unknown key 'current'/, /setpoint, readback, monitor/] },
  { name: 'field without units', edit: (d) => delete d.families.HCM.fields.setpoint.units, path: 'families.HCM.fields.setpoint.units', mentions: [/required/] },
  { name: 'units without physics', edit: (d) => delete d.families.HCM.fields.setpoint.units.physics, path: 'families.HCM.fields.setpoint.units.physics', mentions: [/required/] },
  { name: 'limits reversed', edit: (d) => (d.families.HCM.fields.setpoint.limits = [10, -10]), path: 'families.HCM.fields.setpoint.limits', mentions: ['[10,-10]', /min <= max/] },
  { name: 'limits with one value', edit: (d) => (d.families.HCM.fields.setpoint.limits = [10]), path: 'families.HCM.fields.setpoint.limits', mentions: [/limits|Too small|>=2|2 items/i] },
  { name: 'limits as a string', edit: (d) => (d.families.HCM.fields.setpoint.limits = '-10..10'), path: 'families.HCM.fields.setpoint.limits', mentions: ['"-10..10"'] },
  { name: 'negative settle time', edit: (d) => (d.families.HCM.fields.setpoint.settleTime = -1), path: 'families.HCM.fields.setpoint.settleTime', mentions: ['-1'] },
  { name: 'unknown conversion id', edit: (d) => (d.families.HCM.fields.setpoint.conversion = 'hcm_curve'), path: 'families.HCM.fields.setpoint.conversion', mentions: ['"hcm_curve"', /hcm_gain, qf_gain/] },
  { name: 'channel for an unknown control system', edit: (d) => (d.families.HCM.fields.setpoint.channels.epics = 'X:{index}'), path: 'families.HCM.fields.setpoint.channels.epics', mentions: [/unknown control system/] },
  { name: 'device list entry with three numbers', edit: (d) => (d.families.HCM.devices[1].device = [2, 1, 0]), path: 'families.HCM.devices[1].device', mentions: ['[2,1,0]'] },
  { name: 'device list entry negative', edit: (d) => (d.families.HCM.devices[2].device = [-3, 1]), path: 'families.HCM.devices[2].device[0]', mentions: ['-3'] },
  { name: 'device index not an integer', edit: (d) => (d.families.HCM.devices[0].device = [1, 1.5]), path: 'families.HCM.devices[0].device[1]', mentions: ['1.5', /int/] },
  { name: 'duplicate device', edit: (d) => (d.families.HCM.devices[1].device = [1, 1]), path: 'families.HCM.devices[1].device', mentions: [/duplicate device \[1,1\]/] },
  { name: 'duplicate device name', edit: (d) => (d.families.HCM.devices[3].name = 'HCM1'), path: 'families.HCM.devices[3].name', mentions: ['"HCM1"', /duplicate device name/] },
  { name: 'device without name', edit: (d) => delete d.families.BPMx.devices[0].name, path: 'families.BPMx.devices[0].name', mentions: [/required/] },
  { name: 'misspelt device key', edit: (d) => (d.families.BPMx.devices[0].enable = false), path: 'families.BPMx.devices[0].enable', mentions: [/unknown key 'enable'/, /enabled/] },
  { name: 'device conversion unknown', edit: (d) => (d.families.HCM.devices[0].conversion = 'nope'), path: 'families.HCM.devices[0].conversion', mentions: ['"nope"'] },
  { name: 'device channel for a missing field', edit: (d) => (d.families.BPMx.devices[0].channels = { setpoint: { sim: 'X' } }), path: 'families.BPMx.devices[0].channels.setpoint', mentions: [/has no 'setpoint' field/] },
  { name: 'device without any readback channel', edit: (d) => delete d.families.QF.devices[1].channels, path: 'families.QF.devices[1]', mentions: ['"QF2"', /no readback channel for control system 'sim'/] },
  { name: 'enabled is a string', edit: (d) => (d.families.BPMx.devices[0].enabled = 'no'), path: 'families.BPMx.devices[0].enabled', mentions: ['"no"', /boolean/] },
  { name: 'plane z', edit: (d) => (d.families.HCM.plane = 'z'), path: 'families.HCM.plane', mentions: ['"z"'] },
  { name: 'array field without length', edit: (d) => (d.families.BPMx.fields.monitor.dataType = 'array'), path: 'families.BPMx.fields.monitor.length', mentions: [/needs a length/] },
  { name: 'unknown dataType', edit: (d) => (d.families.BPMx.fields.monitor.dataType = 'int'), path: 'families.BPMx.fields.monitor.dataType', mentions: ['"int"'] },
  { name: 'conversion without type', edit: (d) => delete d.unitConversions.hcm_gain.type, path: 'unitConversions.hcm_gain.type', mentions: [/required/] },
  { name: 'lattice file missing', edit: (d) => (d.lattice = { file: 'no-such-lattice.mat' }), path: 'lattice.file', mentions: ['"no-such-lattice.mat"', /not found/] },
  { name: 'model binding misspelt', edit: (d) => (d.families.HCM.model.feild = 'K'), path: 'families.HCM.model.feild', mentions: [/unknown key 'feild'/] },
  { name: 'tools: step of an unknown corrector family', edit: (d) => (d.tools = { orbit: { ormStep: { HCMX: 1e-5 } } }), path: 'tools.orbit.ormStep.HCMX', mentions: ['"HCMX"', /unknown family; corrector families of this facility: HCM/] },
  { name: 'tools: step of a quadrupole family', edit: (d) => (d.tools = { orbit: { ormStep: { QF: 1e-5 } } }), path: 'tools.orbit.ormStep.QF', mentions: ['"QF"', /element class Quadrupole, not corrector/] },
  { name: 'tools: negative step', edit: (d) => (d.tools = { orbit: { ormStep: { HCM: -1e-5 } } }), path: 'tools.orbit.ormStep.HCM', mentions: ['-0.00001', /finite number > 0/] },
  { name: 'tools: misspelt key', edit: (d) => (d.tools = { orbit: { ormstep: { HCM: 1e-5 } } }), path: 'tools.orbit.ormstep', mentions: [/unknown key 'ormstep'/, /ormStep, dispersionStep, golden/] },
  { name: 'tools: one tune family', edit: (d) => (d.tools = { tune: { families: ['QF'] } }), path: 'tools.tune.families', mentions: ['["QF"]', /two or more quadrupole families/] },
  { name: 'tools: unknown tune family', edit: (d) => (d.tools = { tune: { families: ['QF', 'QDD'] } }), path: 'tools.tune.families[1]', mentions: ['"QDD"', /unknown family/] },
  { name: 'tools: dispersion step as text', edit: (d) => (d.tools = { orbit: { dispersionStep: '100 Hz' } }), path: 'tools.orbit.dispersionStep', mentions: ['"100 Hz"'] },
  { name: 'tools: golden orbit file missing', edit: (d) => (d.tools = { orbit: { golden: 'no-such-golden.yaml' } }), path: 'tools.orbit.golden', mentions: ['"no-such-golden.yaml"', /file not found/] },
  { name: 'tools: model BPMs of a corrector family', edit: (d) => (d.tools = { model: { bpms: ['HCM'] } }), path: 'tools.model.bpms[0]', mentions: ['"HCM"', /not bpm/] },
  { name: 'YAML syntax error', text: 'name: ring\nenergy: [3e9\nfamilies: {}\n', path: '(root)', mentions: [/invalid YAML/], line: true },
  { name: 'duplicate YAML key', text: 'name: a\nname: b\n', path: '(root)', mentions: [/invalid YAML/, /[Uu]nique|duplicate/], line: true },
  { name: 'top level is a list', text: '- a\n- b\n', path: '(root)', mentions: [/must contain a mapping/] },
  { name: 'JSON syntax error', text: '{"name": "x", "energy": }', ext: '.json', path: '(root)', mentions: [/invalid JSON/] },
  { name: 'unsupported extension', text: 'name = "x"', ext: '.toml', path: '(root)', mentions: ['".toml"', /unsupported facility file type/] },
];

describe('facility configuration errors name the file, the path and the value', () => {
  it('has at least 30 malformed files', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  for (const [i, c] of cases.entries()) {
    it(c.name, () => {
      const ext = c.ext ?? '.yaml';
      const file = join(dir, `case-${String(i).padStart(2, '0')}${ext}`);
      let text = c.text;
      if (text === undefined) {
        const d = base();
        c.edit!(d);
        text = ext === '.json' ? JSON.stringify(d, null, 2) : stringify(d);
      }
      writeFileSync(file, text);
      let err: unknown;
      try {
        loadFacility(file);
      } catch (e) {
        err = e;
      }
      expect(err, 'the malformed file must be rejected').toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.message).toContain(file);
      const paths = e.issues.map((x) => x.path || '(root)');
      expect(paths).toContain(c.path);
      const issue = e.issues.find((x) => (x.path || '(root)') === c.path)!;
      const line = `${issue.path || '(root)'}: ${issue.expected} (got`;
      expect(e.message).toContain(line);
      for (const m of c.mentions) expect(e.message).toMatch(typeof m === 'string' ? new RegExp(m.replace(/[[\]().*+?^$|\\]/g, '\\$&')) : m);
      if (ext === '.yaml' && !c.text) expect(issue.line, 'YAML errors carry a line').toBeGreaterThan(0);
      if (c.line) expect(e.message).toMatch(/:\d+:\d+: /);
    });
  }

  it('reports the line and column of the offending value', () => {
    const text = readFileSync(RING, 'utf8').replace('limits: [-10, 10]', 'limits: [10, -10]');
    const file = join(dir, 'line.yaml');
    writeFileSync(file, text);
    const expectedLine = text.split('\n').findIndex((l) => l.includes('limits: [10, -10]')) + 1;
    expect(() => loadFacility(file)).toThrow(new RegExp(`line\\.yaml:${expectedLine}:\\d+: families\\.HCM\\.fields\\.setpoint\\.limits`));
  });

  it('rejects a conversion whose units differ from the field when the accelerator is built', async () => {
    const d = base();
    d.unitConversions.hcm_gain.physicsUnits = 'mrad';
    const file = join(dir, 'units.yaml');
    writeFileSync(file, stringify(d));
    const controlSystems = new ControlSystemRegistry();
    registerMemory(controlSystems);
    const facility = loadFacility(file);
    await expect(createAccelerator({ facility, controlSystems, conversions: testConversions() })).rejects.toThrow(/HCM HCM1: conversion 'hcm_gain' converts A -> mrad but the setpoint field is in A -> rad/);
  });

  it('reports conversion problems at load time when given the registry', () => {
    const d = base();
    d.unitConversions.hcm_gain.physicsUnits = 'mrad';
    const file = join(dir, 'units-at-load.yaml');
    writeFileSync(file, stringify(d));
    expect(() => loadFacility(file)).not.toThrow();
    expect(() => loadFacility(file, { conversions: testConversions() })).toThrow(/HCM HCM1: conversion 'hcm_gain' converts A -> mrad/);
  });

  it('rejects a conversion spec that its type does not accept, naming the conversion', async () => {
    const d = base();
    d.unitConversions.qf_gain.gain = 'big';
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, stringify(d));
    const controlSystems = new ControlSystemRegistry();
    registerMemory(controlSystems);
    await expect(createAccelerator({ facility: loadFacility(file), controlSystems, conversions: testConversions() })).rejects.toThrow(/unitConversions\.qf_gain\.gain: QF QF1: unit conversion 'qf_gain'/);
  });

  it('loads the valid example in YAML and in JSON alike', () => {
    const y = loadFacility(RING);
    const file = join(dir, 'ring.json');
    writeFileSync(file, JSON.stringify(base()));
    const j = loadFacility(file);
    expect(j.config).toEqual(y.config);
    expect(y.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(y.channel('QF', 1, 'readback', 'online')).toBe('SR-QF-QF2:RB');
    expect(y.channel('BPMx', 3, 'monitor', 'sim')).toBe('SR02-BPM-02:X');
  });
});
