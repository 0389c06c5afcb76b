/**
 * Preloaded (node -r) by facility-cache.test.ts: writes "zod loaded" on stderr when the process
 * loads zod, by require() (core's zodNow) or by an import (a resolve hook).
 */
const Module = require('node:module');

const say = (request) => {
  if (request === 'zod' || /[\\/]node_modules[\\/]zod[\\/]/.test(request)) process.stderr.write(`zod loaded (${request})\n`);
};
const load = Module._load;
Module._load = function probe(request, ...rest) {
  say(request);
  return load.call(this, request, ...rest);
};
Module.register(
  `data:text/javascript,${encodeURIComponent(
    "export async function resolve(specifier, context, next) { if (specifier === 'zod' || specifier.startsWith('zod/')) process.stderr.write(`zod loaded (${specifier})\\n`); return next(specifier, context); }",
  )}`,
);
