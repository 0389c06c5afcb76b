import { describeValue } from '@mlayer/core';
import { TuningError } from '@mlayer/tuning-common';

/** A LOCO error: a parameter set or fit option that cannot be used, a model that cannot be fitted. */
export class LocoError extends TuningError {}

/** An interchange file (ORM.json, FIT.yaml) that cannot be used: names the file, the field and the value. */
export class LocoFileError extends LocoError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
    value?: unknown,
  ) {
    super(`${file}: ${field || '(top level)'}${value === undefined ? '' : ` = ${describeValue(value)}`}: ${detail}`);
  }
}
