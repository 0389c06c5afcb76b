/**
 * Element selectors of the LatticeModel port: index lists, or strings
 * 'class:NAME' (AT class, case-insensitive), 'pass:NAME' (PassMethod, exact),
 * 'famname:REGEX' (FamName matching the whole regular expression), 'all'.
 */
import { MlayerError } from '@mlayer/core';
import type { ElementSelector } from '@mlayer/core';
import type { AtElement } from '../lattice.js';

export class SelectorError extends MlayerError {
  constructor(
    readonly selector: unknown,
    detail: string,
  ) {
    super(`element selector ${JSON.stringify(selector)}: ${detail}`);
  }
}

/**
 * Indices selected in lattice order. Index lists may include N (the end of the
 * lattice, a valid observation point) when `allowEnd` is set; they are returned
 * sorted without duplicates.
 */
export function selectElements(elements: readonly AtElement[], selector: ElementSelector, allowEnd = true): number[] {
  const N = elements.length;
  if (typeof selector !== 'string') {
    if (!Array.isArray(selector)) throw new SelectorError(selector, 'expected an array of indices or a selector string');
    for (const i of selector) {
      if (!Number.isInteger(i) || i < 0 || i > (allowEnd ? N : N - 1)) {
        throw new SelectorError(selector, `index ${i} is outside 0..${allowEnd ? N : N - 1}`);
      }
    }
    return [...new Set(selector)].sort((a, b) => a - b);
  }
  if (selector === 'all') return elements.map((_, i) => i);
  const colon = selector.indexOf(':');
  const kind = colon > 0 ? selector.slice(0, colon).toLowerCase() : '';
  const arg = colon > 0 ? selector.slice(colon + 1) : '';
  let test: (e: AtElement) => boolean;
  switch (kind) {
    case 'class': {
      const want = arg.toLowerCase();
      test = (e) => typeof e.Class === 'string' && e.Class.toLowerCase() === want;
      break;
    }
    case 'pass':
      test = (e) => e.PassMethod === arg;
      break;
    case 'famname': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${arg})$`);
      } catch (err) {
        throw new SelectorError(selector, `invalid regular expression: ${(err as Error).message}`);
      }
      test = (e) => re.test(e.FamName);
      break;
    }
    default:
      throw new SelectorError(selector, "expected 'class:NAME', 'pass:NAME', 'famname:REGEX', 'all' or an array of indices");
  }
  if (arg === '') throw new SelectorError(selector, 'the selector has no argument after the colon');
  const out: number[] = [];
  elements.forEach((e, i) => {
    if (test(e)) out.push(i);
  });
  return out;
}
