import type { LoadedFacility } from './load-facility.js';
import { FIELD_NAMES, type FieldName } from './schema.js';

export interface FacilityChannel {
  readonly family: string;
  readonly deviceIndex: number;
  readonly field: FieldName;
  readonly channel: string;
}

/** Every channel a control system serves for a facility, in family/device/field order. */
export function facilityChannels(facility: LoadedFacility, controlSystem: string): FacilityChannel[] {
  const out: FacilityChannel[] = [];
  for (const [family, fam] of Object.entries(facility.config.families)) {
    fam.devices.forEach((_d, deviceIndex) => {
      for (const field of FIELD_NAMES) {
        if (!fam.fields[field]) continue;
        const channel = facility.channel(family, deviceIndex, field, controlSystem);
        if (channel !== undefined) out.push({ family, deviceIndex, field, channel });
      }
    });
  }
  return out;
}
