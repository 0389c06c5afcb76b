/** The `mlayer model summary` action: ring parameters of the 6D model of a lattice file. */
import type { Command } from 'commander';
import { hasCavity, loadLattice, radiationIntegrals, ringParameters6, type RadiationIntegrals } from '@mlayer/engine';

export interface ModelSummaryOptions {
  readonly lattice?: string;
  readonly use?: string;
  readonly json?: boolean;
}

export async function modelSummaryAction(o: ModelSummaryOptions, cmd: Command): Promise<void> {
  const json = o.json || cmd.optsWithGlobals<{ json?: boolean }>().json;
  const file = o.lattice as string;
  const lattice = loadLattice(file, { use: o.use });
  const energy = lattice.properties.energy;
  const ri = radiationIntegrals(lattice);
  const U0 = ri.U0;
  const radint = radintJson(ri);
  if (!hasCavity(lattice)) {
    const out = {
      lattice: file,
      energy_eV: energy,
      has_rf_cavity: false,
      radiation_integrals: radint,
      six_d: null,
      message: 'the lattice has no RF cavity: no 6D closed orbit, synchrotron tune, damping times from the 6D one-turn matrix, envelope or bunch length',
    };
    if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else process.stdout.write(`lattice ${file}\nenergy ${energy} eV\n${radintLines(ri).join('\n')}\n${out.message}\n`);
    return;
  }
  const p = ringParameters6(lattice);
  const sixD = {
    tunes: p.tunes,
    fractional_tunes: p.fractionalTunes,
    Qs: p.Qs,
    damping_times_s: p.dampingTimes,
    damping_partition_numbers: p.dampingPartition,
    closed_orbit: [...p.closedOrbit],
    synchronous_phase_rad: p.synchronousPhase,
    synchrotron_frequency_Hz: p.synchrotronFrequency,
  };
  const envelope = {
    emittances_m: p.envelope.emittances,
    energy_spread: p.envelope.energySpread,
    bunch_length_m: p.envelope.bunchLength,
    damping_times_s: p.dampingTimes,
    damping_partition_numbers: p.dampingPartition,
    Qs: p.Qs,
  };
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        lattice: file,
        energy_eV: energy,
        has_rf_cavity: true,
        periodicity: p.periodicity,
        circumference_m: p.circumference,
        revolution_period_s: p.revolutionPeriod,
        rf_voltage_V: p.rfVoltage,
        harmonic_number: p.harmonicNumber,
        radiation_integrals: radint,
        ohmi_envelope: envelope,
        six_d: sixD,
      })}\n`,
    );
    return;
  }
  const f = (x: number, d = 9) => x.toPrecision(d);
  const lines = [
    `lattice ${file}`,
    `energy ${energy} eV, circumference ${f(p.circumference)} m (periodicity ${p.periodicity}), revolution period ${f(p.revolutionPeriod)} s`,
    `RF ${f(p.rfVoltage)} V, harmonic number ${p.harmonicNumber}`,
    ...radintLines(ri),
    'Ohmi envelope (6D one-turn matrix with radiation and RF, diffusion of the radiating magnets):',
    `  emittances x ${f(p.envelope.emittances[0], 7)} m, y ${f(p.envelope.emittances[1], 7)} m, z ${f(p.envelope.emittances[2], 7)} m`,
    `  energy spread ${f(p.envelope.energySpread, 7)}, bunch length ${f(p.envelope.bunchLength * 1e3, 7)} mm`,
    `  tunes Qx ${f(p.tunes[0], 10)}, Qy ${f(p.tunes[1], 10)}, Qs ${f(p.Qs, 8)}`,
    `  damping times x ${f(p.dampingTimes[0] * 1e3, 7)} ms, y ${f(p.dampingTimes[1] * 1e3, 7)} ms, z ${f(p.dampingTimes[2] * 1e3, 7)} ms`,
    `  damping partition numbers Jx ${f(p.dampingPartition[0], 7)}, Jy ${f(p.dampingPartition[1], 7)}, Je ${f(p.dampingPartition[2], 7)}`,
    `  synchronous phase ${f(p.synchronousPhase, 8)} rad, synchrotron frequency ${f(p.synchrotronFrequency, 7)} Hz`,
    `  closed orbit at element 0 [x px y py delta ct] ${[...p.closedOrbit].map((v) => v.toExponential(4)).join(' ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function radintJson(r: RadiationIntegrals): Record<string, unknown> {
  return {
    U0_eV: r.U0,
    I1_m: r.I1,
    I2_per_m: r.I2,
    I3_per_m2: r.I3,
    I4_per_m: r.I4,
    I5_per_m: r.I5,
    momentum_compaction: r.momentumCompaction,
    slip_factor: r.slipFactor,
    damping_partition_numbers: r.dampingPartition,
    damping_times_s: r.dampingTimes,
    natural_emittance_m: r.naturalEmittance,
    energy_spread: r.energySpread,
    bunch_length_m: r.bunchLength,
    Qs_analytic: r.QsAnalytic,
    synchronous_phase_rad: r.synchronousPhase,
    chromaticities: r.chromaticities,
  };
}

function radintLines(r: RadiationIntegrals): string[] {
  const f = (x: number, d = 7) => x.toPrecision(d);
  const lines = [
    'radiation integrals (4D optics, dp = 0):',
    `  I1 ${f(r.I1)} m, I2 ${f(r.I2)} 1/m, I3 ${f(r.I3)} 1/m^2, I4 ${f(r.I4)} 1/m, I5 ${f(r.I5)} 1/m`,
    `  U0 ${f(r.U0, 9)} eV, momentum compaction ${f(r.momentumCompaction)}, damping partition Jx ${f(r.dampingPartition[0])}, Jy ${f(r.dampingPartition[1])}, Je ${f(r.dampingPartition[2])}`,
    `  damping times x ${f(r.dampingTimes[0] * 1e3)} ms, y ${f(r.dampingTimes[1] * 1e3)} ms, z ${f(r.dampingTimes[2] * 1e3)} ms`,
    `  natural emittance ${f(r.naturalEmittance)} m, energy spread ${f(r.energySpread)}`,
  ];
  if (r.bunchLength !== null && r.QsAnalytic !== null) lines.push(`  bunch length ${f(r.bunchLength * 1e3)} mm, Qs ${f(r.QsAnalytic)}`);
  return lines;
}
