import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { z } from 'zod';

/**
 * Schemas built on first use (issue 16, start-up). Loading zod costs about 0.12 CPU-seconds,
 * a fifth of a warm `mlayer get`, which validates nothing (the compiled-facility cache holds
 * what was validated). A module that defines schemas therefore imports zod's types only and
 * wraps each schema in `lazySchema((z) => ...)`: zod is loaded, and the schema built, when
 * something first uses it (parse, safeParse, compose, JSON Schema). The value is the schema
 * itself to every user: same methods, same errors, same JSON Schema.
 *
 * zod is loaded synchronously with require() of its ES module entry (Node ≥ 20.19), the same
 * instance as any `import 'zod'` of the process; on an older Node, its CommonJS build.
 */

const require = createRequire(import.meta.url);
let loaded: { z: typeof z } | undefined;

/** zod's `z`, loaded now if nothing loaded it yet. */
export function zodNow(): typeof z {
  return (loaded ??= require(zodEntry()) as { z: typeof z }).z;
}

/** The file require() loads: zod's ES module entry where Node can require one, else the package (CommonJS). */
function zodEntry(): string {
  if (!process.features.require_module) return 'zod';
  try {
    const pkgFile = require.resolve('zod/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: { '.'?: { import?: unknown } } };
    const entry = pkg.exports?.['.']?.import;
    return typeof entry === 'string' ? join(dirname(pkgFile), entry) : 'zod';
  } catch {
    return 'zod';
  }
}

/**
 * A schema built by `build(z)` on its first use; until then nothing is loaded. The value
 * stands for the built schema everywhere (a proxy forwarding to it), including as a part of
 * other schemas and in zod's metadata registry (its description reaches the JSON Schema).
 */
export function lazySchema<T extends object>(build: (zod: typeof z) => T): T {
  let target: T | undefined;
  const get = (): T => {
    if (target === undefined) {
      const zod = zodNow();
      target = build(zod);
      const meta = zod.globalRegistry.get(target as unknown as z.core.$ZodType);
      if (meta !== undefined) zod.globalRegistry.add(proxy as unknown as z.core.$ZodType, meta);
    }
    return target;
  };
  const proxy = new Proxy({} as T, {
    get: (_, key) => {
      const t = get();
      return Reflect.get(t, key, t) as unknown;
    },
    set: (_, key, value) => Reflect.set(get(), key, value),
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      // The proxy's own target is an empty extensible object: a property it reports must be configurable.
      return d === undefined ? undefined : { ...d, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(get(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(get(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
  return proxy;
}
