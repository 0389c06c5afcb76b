import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEBIAN_PYTHON, type TangoDeviceDefinition, type TangoServerProcess, type TangoSystem } from '../system/tango-system.js';

/** The PyTango device server with the Magnet and BPM classes (servers/MlayerAccel.py). */
export const ACCELERATOR_SERVER_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'servers', 'MlayerAccel.py');
export const ACCELERATOR_SERVER_NAME = 'MlayerAccel';

export interface MagnetDefinition {
  /** domain/family/member */
  readonly name: string;
  /** CurrentMin, CurrentMax, WarningLevel, AlarmLevel, InitialCurrent (A). */
  readonly properties?: Readonly<Partial<Record<'CurrentMin' | 'CurrentMax' | 'WarningLevel' | 'AlarmLevel' | 'InitialCurrent', number>>>;
}

export interface BpmDefinition {
  readonly name: string;
  /** AcquisitionRate (Hz), OffsetX, OffsetY (mm), NumSamples (Orbit length). */
  readonly properties?: Readonly<Partial<Record<'AcquisitionRate' | 'OffsetX' | 'OffsetY' | 'NumSamples', number>>>;
}

export interface AcceleratorServerDefinition {
  readonly instance: string;
  readonly magnets?: readonly MagnetDefinition[];
  readonly bpms?: readonly BpmDefinition[];
}

/** Registers an instance of the accelerator server with its Magnet and BPM devices. */
export async function registerAcceleratorServer(system: TangoSystem, def: AcceleratorServerDefinition): Promise<void> {
  const devices: TangoDeviceDefinition[] = [
    ...(def.magnets ?? []).map((m) => ({ name: m.name, class: 'Magnet', properties: m.properties })),
    ...(def.bpms ?? []).map((b) => ({ name: b.name, class: 'BPM', properties: b.properties })),
  ];
  await system.registerServer(ACCELERATOR_SERVER_NAME, def.instance, devices);
}

/** Starts a registered instance of the accelerator server (Debian's python3). */
export function startAcceleratorServer(system: TangoSystem, instance: string): Promise<TangoServerProcess> {
  return system.startServer({ server: ACCELERATOR_SERVER_NAME, instance, command: [DEBIAN_PYTHON, ACCELERATOR_SERVER_SCRIPT] });
}
