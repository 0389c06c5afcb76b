/** Typed errors of the tracking engine; each names the element (index and FamName). */
import { MlayerError } from '@mlayer/core';

/** Describes an element as `#index 'FamName'` for messages. */
export function elementLabel(index: number, famName: string): string {
  return `element #${index} '${famName}'`;
}

/** The element's PassMethod has no registered implementation. */
export class UnknownPassMethodError extends MlayerError {
  constructor(
    readonly index: number,
    readonly famName: string,
    readonly passMethod: string,
  ) {
    super(`${elementLabel(index, famName)}: unknown PassMethod '${passMethod}'`);
  }
}

/** A field of an element is missing, of the wrong shape, or has an unusable value. */
export class ElementFieldError extends MlayerError {
  constructor(
    readonly index: number,
    readonly famName: string,
    readonly passMethod: string,
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(
      `${elementLabel(index, famName)} (${passMethod}): field '${field}' ${describe(value)}; expected ${expected}`,
    );
  }
}

/** Invalid arguments to a tracking call (particle count, element range, refpts). */
export class TrackingArgumentError extends MlayerError {}

function describe(value: unknown): string {
  if (value === undefined) return 'is missing';
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return `is ${text}`;
}
