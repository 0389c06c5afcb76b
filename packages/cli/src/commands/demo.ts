import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, measure } from '@mlayer/core';
import { registerMemory } from '@mlayer/core/testing';
import { registerCalibration } from '@mlayer/calibration';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/example-ring.yaml', import.meta.url));

/**
 * `mlayer demo`: the core example (until the digital twin lands): load a facility,
 * read and set families in physics units, take a snapshot, run a measurement that
 * is aborted midway and restores every corrector.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the demo (core example on an in-memory control system)')
    .action(async () => {
      const facility = loadFacility(EXAMPLE);
      const controlSystems = new ControlSystemRegistry();
      registerMemory(controlSystems);
      const conversions = new UnitConversionRegistry();
      registerCalibration(conversions);
      const acc = await createAccelerator({ facility, controlSystems, conversions });
      const say = (s: string) => process.stdout.write(`${s}\n`);
      say(`facility ${acc.name} (${facility.file}), mode ${acc.mode}, families ${acc.familyNames().join(', ')}`);
      const hcm = acc.family('HCM');
      await hcm.set([0.1e-3, -0.2e-3, 0.3e-3, 0], { units: 'physics', wait: true });
      say(`HCM setpoints: ${fmt(await hcm.get({ field: 'setpoint' }))} A = ${fmt(await hcm.get({ field: 'setpoint', units: 'physics' }), 1e3)} mrad`);
      const snap = await acc.snapshot();
      const controller = new AbortController();
      try {
        await measure(acc, { name: 'demo-scan', drives: [hcm], signal: controller.signal }, async (m) => {
          for (let k = 0; k < hcm.size; k++) {
            await m.step(hcm.devices([hcm.deviceList[k]]), 0.5);
            say(`  stepped ${hcm.names[k]} by 0.5 A`);
            if (k === 1) controller.abort();
          }
        });
      } catch (e) {
        say(`measurement stopped: ${(e as Error).message}`);
      }
      say(`HCM setpoints after abort: ${fmt(await hcm.get({ field: 'setpoint' }))} A (snapshot: ${fmt(snap.families.HCM.values)})`);
      await acc.close();
    });
}

function fmt(v: ArrayLike<number>, scale = 1): string {
  return Array.from(v, (x) => (x * scale).toFixed(4)).join(' ');
}
