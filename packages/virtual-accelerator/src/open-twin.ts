import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator, type LoadedFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';

/** The facility's twin control system `mode` as an accelerator, with the calibration conversions: what a virtual accelerator serves. */
export async function openTwin(facilityFile: string, mode: string): Promise<{ acc: Accelerator; facility: LoadedFacility }> {
  const facility = loadFacility(facilityFile);
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility, mode, controlSystems, conversions, allowWrites: false });
  return { acc, facility };
}
