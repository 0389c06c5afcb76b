/** The channels a server serves: each tied to its family, device and field, with the metadata PVWS sends. */
import { facilityChannels, type Accelerator, type DeviceId, type FieldName, type LoadedFacility } from '@mlayer/core';

export interface ChannelInfo {
  readonly channel: string;
  readonly family: string;
  readonly device: DeviceId;
  readonly name: string;
  readonly field: FieldName;
  /** Units, limits and description: sent in a subscription's first update. */
  readonly units: string;
  readonly limits?: readonly [number, number];
  readonly description: string;
}

/** PVWS (Phoebus) names a channel with its protocol: ca://NAME, pva://NAME. */
const PROTOCOL_PREFIX = /^(ca|pva):\/\//;

export class ChannelIndex {
  private readonly byChannel = new Map<string, ChannelInfo>();

  constructor(acc: Accelerator, facility: LoadedFacility) {
    for (const c of facilityChannels(facility, acc.mode)) {
      const fam = acc.family(c.family);
      const device = fam.deviceList[c.deviceIndex];
      const name = fam.names[c.deviceIndex] ?? `${device[0]},${device[1]}`;
      const limits = c.field === 'setpoint' ? fam.limits[c.deviceIndex] : undefined;
      this.byChannel.set(c.channel, {
        channel: c.channel,
        family: c.family,
        device,
        name,
        field: c.field,
        units: fam.units(c.field).hardware,
        limits,
        description: `${c.family} ${name} ${c.field}`,
      });
    }
  }

  /** The channel's information; PVWS's protocol prefixes (`ca://`, `pva://`, as cs-web-lib sends them) name the same channel. */
  get(channel: string): ChannelInfo | undefined {
    return this.byChannel.get(channel) ?? this.byChannel.get(channel.replace(PROTOCOL_PREFIX, ''));
  }

  get size(): number {
    return this.byChannel.size;
  }
}
