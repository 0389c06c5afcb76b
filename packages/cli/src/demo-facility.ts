import { fileURLToPath } from 'node:url';
import { resolveFacilityPath } from '@mlayer/core';

/** The demo facility shipped in the repository (facilities/diamond-i04): the default of --facility. */
export const DEMO_FACILITY = fileURLToPath(new URL('../../../facilities/diamond-i04', import.meta.url));

/** `--facility` resolved (see core's resolveFacilityPath), the demo facility when none is given. */
export function facilityFile(spec: string | undefined): string {
  return resolveFacilityPath(spec ?? DEMO_FACILITY);
}
