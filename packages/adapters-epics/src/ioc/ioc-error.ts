import { MlayerError } from '@mlayer/core';

/** A soft IOC could not be set up or run (EPICS base missing, ports taken, the IOC not answering); the message names the port, path or process. */
export class IocError extends MlayerError {}
