/**
 * Reading and writing one numeric element parameter by AT field name, with
 * pyAT's aliases: K = PolynomB[1], H = PolynomB[2] (the alias field is kept in
 * step when the element has it). KickAngle defaults to [0, 0]; PolynomA/B
 * entries past the end read as 0 and are created (zero-padded, MaxOrder raised)
 * on write.
 */
import { MlayerError } from '@mlayer/core';
import type { AtElement } from '../lattice.js';

/** A parameter of one element: AT field name and optional index into an array field. */
export interface ElementParameter {
  readonly element: number;
  readonly field: string;
  readonly index?: number;
}

export class ElementParameterError extends MlayerError {
  constructor(
    readonly ref: ElementParameter,
    readonly famName: string,
    detail: string,
  ) {
    super(`element ${ref.element} (${famName}) field ${ref.field}${ref.index !== undefined ? `[${ref.index}]` : ''}: ${detail}`);
  }
}

const POLYNOM_ALIAS: Readonly<Record<string, number>> = { K: 1, H: 2 };

function resolve(ref: ElementParameter): { field: string; index: number | undefined; alias?: string } {
  const order = POLYNOM_ALIAS[ref.field];
  if (order !== undefined) {
    if (ref.index !== undefined && ref.index !== 0) {
      throw new ElementParameterError(ref, '?', `the alias ${ref.field} is a scalar (PolynomB[${order}]); index must be omitted`);
    }
    return { field: 'PolynomB', index: order, alias: ref.field };
  }
  return { field: ref.field, index: ref.index };
}

function checkIndex(ref: ElementParameter, famName: string, index: number): void {
  if (!Number.isInteger(index) || index < 0) throw new ElementParameterError(ref, famName, `index ${index} is not a non-negative integer`);
}

/** Reads a numeric parameter of an element. */
export function readParameter(el: AtElement, ref: ElementParameter): number {
  const { field, index } = resolve(ref);
  const v = el[field];
  if (field === 'KickAngle' && v === undefined) {
    if (index === undefined || index > 1) throw new ElementParameterError(ref, el.FamName, 'KickAngle needs index 0 (x) or 1 (y)');
    return 0;
  }
  if (v === undefined) {
    if ((field === 'PolynomA' || field === 'PolynomB') && index !== undefined) return 0;
    throw new ElementParameterError(ref, el.FamName, 'the element has no such field');
  }
  if (typeof v === 'number') {
    if (index !== undefined && index !== 0) throw new ElementParameterError(ref, el.FamName, 'the field is a scalar; index must be omitted');
    return v;
  }
  if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number')) {
    if (index === undefined) throw new ElementParameterError(ref, el.FamName, `the field is an array of ${v.length}; give an index`);
    checkIndex(ref, el.FamName, index);
    if (index >= v.length) {
      if (field === 'PolynomA' || field === 'PolynomB') return 0;
      throw new ElementParameterError(ref, el.FamName, `index ${index} is past the end of the array (length ${v.length})`);
    }
    return v[index] as number;
  }
  throw new ElementParameterError(ref, el.FamName, 'the field is not numeric');
}

/** Writes a numeric parameter of an element in place. */
export function writeParameter(el: AtElement, ref: ElementParameter, value: number): void {
  if (!Number.isFinite(value)) throw new ElementParameterError(ref, el.FamName, `value ${value} is not a finite number`);
  const { field, index, alias } = resolve(ref);
  const cur = el[field];
  if (field === 'KickAngle' && cur === undefined) {
    if (index === undefined || index > 1) throw new ElementParameterError(ref, el.FamName, 'KickAngle needs index 0 (x) or 1 (y)');
    const ka = [0, 0];
    ka[index] = value;
    el.KickAngle = ka;
    return;
  }
  if (cur === undefined && !(field === 'PolynomA' || field === 'PolynomB')) {
    throw new ElementParameterError(ref, el.FamName, 'the element has no such field');
  }
  if (typeof cur === 'number') {
    if (index !== undefined && index !== 0) throw new ElementParameterError(ref, el.FamName, 'the field is a scalar; index must be omitted');
    el[field] = value;
    return;
  }
  if (cur !== undefined && !(Array.isArray(cur) && (cur.length === 0 || typeof cur[0] === 'number'))) {
    throw new ElementParameterError(ref, el.FamName, 'the field is not numeric');
  }
  if (index === undefined) {
    throw new ElementParameterError(ref, el.FamName, `the field is an array; give an index`);
  }
  checkIndex(ref, el.FamName, index);
  const arr = ((cur as number[] | undefined) ?? []).slice();
  if (index >= arr.length) {
    if (field !== 'PolynomA' && field !== 'PolynomB') {
      throw new ElementParameterError(ref, el.FamName, `index ${index} is past the end of the array (length ${arr.length})`);
    }
    while (arr.length <= index) arr.push(0);
  }
  arr[index] = value;
  el[field] = arr;
  if (field === 'PolynomA' || field === 'PolynomB') {
    // Keep PolynomA/B the same length and MaxOrder covering the new term.
    const other = field === 'PolynomA' ? 'PolynomB' : 'PolynomA';
    const o = Array.isArray(el[other]) ? (el[other] as number[]).slice() : [];
    while (o.length < arr.length) o.push(0);
    el[other] = o;
    const maxOrder = el.MaxOrder;
    if (value !== 0 && (typeof maxOrder !== 'number' || maxOrder < index)) el.MaxOrder = index;
    if (alias === undefined) {
      for (const [name, order] of Object.entries(POLYNOM_ALIAS)) {
        if (field === 'PolynomB' && order === index && typeof el[name] === 'number') el[name] = value;
      }
    } else if (typeof el[alias] === 'number') {
      el[alias] = value;
    }
  }
}

/** A deep copy of an element (its fields are plain JSON data). */
export function copyElement(el: AtElement): AtElement {
  return structuredClone(el);
}
