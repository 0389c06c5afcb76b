/**
 * SVDs of weighted response systems already decomposed, kept per owner (a
 * response matrix) and key (the rows, columns and weights used): the iterations
 * of a correction solve the same system again and reuse its SVD. At most 17 per
 * owner; the owner's entry goes with it (weak map).
 */
import { type Matrix, type Svd, svd } from './linalg.js';

const cache = new WeakMap<object, Map<string, Svd>>();

/** A function giving the SVD of `a`, computed on first use and cached under (owner, key). */
export function cachedSvd(owner: object, key: string, a: Matrix): () => Svd {
  return () => {
    let m = cache.get(owner);
    if (!m) {
      m = new Map();
      cache.set(owner, m);
    }
    let d = m.get(key);
    if (!d) {
      d = svd(a);
      if (m.size > 16) m.clear();
      m.set(key, d);
    }
    return d;
  };
}
