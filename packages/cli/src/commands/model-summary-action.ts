/** The `mlayer model summary` action: ring parameters of the 6D model of a lattice file. */
import type { Command } from 'commander';
import { energyLossPerTurn, hasCavity, loadLattice, ringParameters6 } from '@mlayer/engine';

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
  const U0 = energyLossPerTurn(lattice);
  const radint = { U0_eV: U0 };
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
    else process.stdout.write(`lattice ${file}\nenergy ${energy} eV\nradiation integrals: U0 ${U0.toPrecision(9)} eV\n${out.message}\n`);
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
        radiation_integrals: { ...radint, I2_per_m: p.I2 },
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
    'radiation integrals:',
    `  I2 ${f(p.I2)} 1/m, U0 ${f(U0)} eV`,
    '6D one-turn matrix (radiation and RF on):',
    `  tunes Qx ${f(p.tunes[0], 10)}, Qy ${f(p.tunes[1], 10)}, Qs ${f(p.Qs, 8)}`,
    `  damping times x ${f(p.dampingTimes[0] * 1e3, 7)} ms, y ${f(p.dampingTimes[1] * 1e3, 7)} ms, z ${f(p.dampingTimes[2] * 1e3, 7)} ms`,
    `  damping partition numbers Jx ${f(p.dampingPartition[0], 7)}, Jy ${f(p.dampingPartition[1], 7)}, Je ${f(p.dampingPartition[2], 7)}`,
    `  synchronous phase ${f(p.synchronousPhase, 8)} rad, synchrotron frequency ${f(p.synchrotronFrequency, 7)} Hz`,
    `  closed orbit at element 0 [x px y py delta ct] ${[...p.closedOrbit].map((v) => v.toExponential(4)).join(' ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
