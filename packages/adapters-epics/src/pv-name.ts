import { ConfigError } from '@mlayer/core';

export type EpicsProtocol = 'ca' | 'pva';

export interface PvAddress {
  readonly protocol: EpicsProtocol;
  /** PV name without the protocol prefix. */
  readonly name: string;
  /** `ca://NAME` or `pva://NAME`: the key the adapter keeps channels under. */
  readonly key: string;
}

/** Invalid channel name given to the EPICS adapter. */
export class InvalidPvNameError extends ConfigError {
  constructor(channel: string, detail: string) {
    super('(channel name)', 'channel', channel, detail);
  }
}

const PREFIX = /^([a-z]+):\/\/(.*)$/;

/** Parse `NAME`, `ca://NAME` or `pva://NAME`; a bare name uses the default protocol. */
export function parsePvName(channel: string, defaultProtocol: EpicsProtocol): PvAddress {
  let protocol = defaultProtocol;
  let name = channel;
  const m = PREFIX.exec(channel);
  if (m) {
    if (m[1] !== 'ca' && m[1] !== 'pva') {
      throw new InvalidPvNameError(channel, `a PV name prefixed with ca:// or pva:// (unknown scheme '${m[1]}://')`);
    }
    protocol = m[1];
    name = m[2];
  }
  if (name.length === 0 || /\s/.test(name)) throw new InvalidPvNameError(channel, 'a non-empty PV name without spaces');
  return { protocol, name, key: `${protocol}://${name}` };
}
