/**
 * Hand-written AT decks through the MATLAB-subset interpreter: globals,
 * variables, arithmetic in arguments, struct literals, cell concatenation,
 * repmat, transposes, loops, FAMLIST/buildlat, indexed growth. Expected values
 * are computed here from the deck text (AT's constructor conventions).
 */
import { describe, expect, it } from 'vitest';
import { parseMLattice } from '../../src/index.js';

const DECK = `function ring = mydeck()
% A hand-written deck in the style of the decks distributed with AT
global GLOBVAL
GLOBVAL.E0 = 2.75e9;
L = 2*0.1;            % arithmetic
theta = pi/8;
D1 = atdrift('D1', L/2);
QF = atquadrupole('QF', 0.5, 1.2, 'QuadLinearPass');
QD = struct('FamName','QD','Length',0.5,'PassMethod','StrMPoleSymplectic4Pass', ...
    'PolynomA', [0 0], 'PolynomB', [0 -1.1], 'MaxOrder', 1, 'NumIntSteps', 10, ...
    'Aper', [Inf NaN 1.0e-3]);
B = atrbend('B', 1.0, theta, 0, 'BndMPoleSymplectic4Pass');
M = atmarker('M');
%{
  a block comment: atfoo('not called')
%}
cellA = {D1 QF D1 B};
cellB = [{D1}, {QD}];
half = [cellA cellB];
ring = [repmat(half, 1, 2) {M}]';
end
`;

const FAMLIST_DECK = `function fam_deck
global FAMLIST THERING GLOBVAL
GLOBVAL.E0 = 1e9;
FAMLIST = cell(0);
L0 = 10;
DR = drift('DR', L0/4, 'DriftPass');
QF = quadrupole('QF', 0.3, 2.0, 'StrMPoleSymplectic4Pass');
BE = sbend('BE', 1, 2*pi/4, pi/4, pi/4, 0, 'BendLinearPass');
RF = rfcavity('RF', 0, 1e6, 500e6, 100, 'CavityPass');
ELIST = [DR QF DR BE];
ELIST = [repmat(ELIST, 1, 4) RF];
buildlat(ELIST);
for i = 1:length(THERING)
  THERING{i}.Energy = GLOBVAL.E0;
end
evalin('caller','global THERING FAMLIST GLOBVAL');
`;

const SCRIPT = `clear all
a = [1 -2];  b = [1 - 2];  c = [a' a'];
RING = {atdrift('D', numel(a)+b), atmonitor('BPM')};
RING{end+1} = atrfcavity('RF', 0, 1e6, 352e6, 400, 6e9);
if size(c, 1) == 2 && c(2, 1) == -2
  RING{1}.Length = RING{1}.Length * 3;
else
  RING = {};
end
`;

const HELPERS = `function r = helpers_deck()
% subfunctions, varargin, switch, while, lattice helpers, % inside strings
cells = make_cell(3, 'QF', 'QD');
r = [{atmarker('start%1')} cells];
k = 0;
while k < 2
  k = k + 1;
end
switch 'sext'
  case {'quad', 'dip'}
    r{end+1} = atdrift('WRONG', 1);
  otherwise
    r{end+1} = atsextupole('SX', 0.1, 10*k);
end
idx = findcells(r, 'FamName', 'QD');
r = atsetfieldvalues(r, idx, 'PolynomB', [0 -0.5]);
r = atsetfieldvalues(r, idx, 'K', -0.5);
r = atSetRingProperties(r, 'Energy', 1.5e9, 'Periodicity', 4);
end

function c = make_cell(n, varargin)
c = cell(1, 0);
for i = 1:n
  name = varargin{mod(i - 1, numel(varargin)) + 1};
  c{end+1} = atquadrupole(name, 0.25, 0.5 * i);
end
end
`;

describe('hand-written .m decks', () => {
  it('runs subfunctions, varargin, switch, while and the lattice helpers', () => {
    const lat = parseMLattice(HELPERS, 'helpers_deck.m');
    expect(lat.elements.map((e) => e.FamName)).toEqual(['start%1', 'QF', 'QD', 'QF', 'SX']);
    expect(lat.elements.map((e) => e.K)).toEqual([undefined, 0.5, -0.5, 1.5, undefined]);
    // atsetfieldvalues replaced PolynomB and K of QD (a K left different from PolynomB(2) is an error, as in pyAT).
    expect(lat.elements[2].PolynomB).toEqual([0, -0.5]);
    expect(lat.elements[2].K).toBe(-0.5);
    expect(lat.elements[4].PolynomB).toEqual([0, 0, 20]);
    // atSetRingProperties added a RingParam element: it becomes the ring properties.
    expect(lat.properties).toMatchObject({ name: '', energy: 1.5e9, periodicity: 4 });
  });

  it('evaluates a function deck with globals, arithmetic, structs and cell concatenation', () => {
    const lat = parseMLattice(DECK, 'mydeck.m');
    expect(lat.elements.map((e) => e.FamName)).toEqual(['D1', 'QF', 'D1', 'B', 'D1', 'QD', 'D1', 'QF', 'D1', 'B', 'D1', 'QD', 'M']);
    const [d1, qf, , b, , qd] = lat.elements;
    expect(d1).toEqual({ FamName: 'D1', PassMethod: 'DriftPass', Length: 0.1, Class: 'Drift' });
    expect(qf).toEqual({
      FamName: 'QF',
      PassMethod: 'QuadLinearPass',
      Length: 0.5,
      PolynomA: [0, 0],
      PolynomB: [0, 1.2],
      MaxOrder: 1,
      NumIntSteps: 10,
      K: 1.2,
      Class: 'Quadrupole',
    });
    // atrbend: entrance and exit angles are half the bending angle.
    expect(b.BendingAngle).toBe(Math.PI / 8);
    expect(b.EntranceAngle).toBe(Math.PI / 16);
    expect(b.ExitAngle).toBe(Math.PI / 16);
    expect(b.Class).toBe('Dipole');
    // A struct literal keeps every field; its class follows pyAT's deduction (by PassMethod).
    expect(qd.Class).toBe('Multipole');
    expect(qd.Aper).toEqual([Infinity, NaN, 0.001]);
    expect(qd.PolynomB).toEqual([0, -1.1]);
    // No RingParam, no Energy field: energy from GLOBVAL.E0; periodicity from the bending.
    expect(lat.properties.energy).toBe(2.75e9);
    expect(lat.properties.periodicity).toBe(8);
    expect(lat.properties.harmonic_number).toBeUndefined();
  });

  it('evaluates an old FAMLIST deck (buildlat, global THERING, loop over cells)', () => {
    const lat = parseMLattice(FAMLIST_DECK, 'fam_deck.m');
    expect(lat.elements).toHaveLength(17);
    expect(lat.elements.slice(0, 4).map((e) => e.FamName)).toEqual(['DR', 'QF', 'DR', 'BE']);
    const be = lat.elements[3];
    expect(be.EntranceAngle).toBe(Math.PI / 4);
    expect(be.ExitAngle).toBe(Math.PI / 4);
    expect(be.BendingAngle).toBe((2 * Math.PI) / 4);
    expect(be.PassMethod).toBe('BendLinearPass');
    const rf = lat.elements[16];
    expect(rf).toMatchObject({ Class: 'RFCavity', PassMethod: 'CavityPass', Voltage: 1e6, Frequency: 500e6, HarmNumber: 100, Energy: 1e9, TimeLag: 0 });
    // Energy is removed from all elements but the cavity (as pyAT does).
    expect(lat.elements[0].Energy).toBeUndefined();
    expect(lat.properties).toMatchObject({ energy: 1e9, periodicity: 1, harmonic_number: 100 });
  });

  it('evaluates a script: whitespace in brackets, transposes, end+1 growth, if/else', () => {
    const lat = parseMLattice(SCRIPT, 'script.m');
    expect(lat.elements.map((e) => e.FamName)).toEqual(['D', 'BPM', 'RF']);
    // numel([1 -2]) + (1 - 2) = 1, then tripled by the if branch.
    expect(lat.elements[0].Length).toBe(3);
    expect(lat.properties.energy).toBe(6e9);
    expect(lat.properties.harmonic_number).toBe(400);
  });
});
