/**
 * Module hooks (node --import ./record-imports.mjs): every URL the ES module loader
 * resolves is appended, one per line, to the file named by $MLAYER_RECORD_IMPORTS.
 */
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.MLAYER_RECORD_IMPORTS) appendFileSync(process.env.MLAYER_RECORD_IMPORTS, `${result.url}\n`);
  return result;
}
