import { EpicsControlSystem, SoftIoc, ensureEpicsBase, type EpicsSettingsInput, type IocChannelDescription } from '../src/index.js';

/**
 * EPICS base for the tests: built by scripts/epics-base.sh when missing (the
 * first run takes about 10 minutes). A failed build fails the tests loudly.
 */
export async function epicsBase(): Promise<string> {
  return ensureEpicsBase({ log: (line) => process.stderr.write(`[epics-base] ${line}\n`) });
}

/** Client settings for a test IOC: loopback only, the IOC's own ports. */
export function settingsFor(ioc: SoftIoc, extra: EpicsSettingsInput = {}): EpicsSettingsInput {
  return {
    addressList: ['127.0.0.1'],
    autoAddressList: false,
    serverPort: ioc.ports.ca,
    repeaterPort: ioc.ports.caRepeater,
    pva: { addressList: ['127.0.0.1'], autoAddressList: false, serverPort: ioc.ports.pva, broadcastPort: ioc.ports.pvaBroadcast },
    timeout: 3000,
    ...extra,
  };
}

export interface TestIoc {
  readonly ioc: SoftIoc;
  readonly cs: EpicsControlSystem;
  stop(): Promise<void>;
}

export async function startTestIoc(channels: readonly IocChannelDescription[], options: { pva?: boolean; dbText?: string; settings?: EpicsSettingsInput } = {}): Promise<TestIoc> {
  const ioc = await SoftIoc.start({ epicsBase: await epicsBase(), channels, dbText: options.dbText, pva: options.pva });
  const cs = await EpicsControlSystem.create('epics', settingsFor(ioc, options.settings));
  return {
    ioc,
    cs,
    async stop() {
      await cs.close();
      await ioc.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
