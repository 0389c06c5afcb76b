import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';

// yaml is required on first use (a CommonJS package: an ES import would also run the CommonJS lexer over it);
// a facility that parses and validates cleanly, or comes from a cache, never needs positions.
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));

/** A parsed YAML or JSON document that can tell the line and column of any path in it. */
export interface SourceDocument {
  readonly data: unknown;
  locate(path: readonly PropertyKey[], key?: boolean): { line: number; column: number } | undefined;
}

export interface SourceSyntaxError {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** Parses YAML (JSON is a subset) keeping positions; returns syntax errors instead of throwing. */
export function parseSource(text: string): { doc?: SourceDocument; errors: SourceSyntaxError[] } {
  const { isMap, isSeq, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const yamlDoc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (yamlDoc.errors.length > 0) {
    return {
      errors: yamlDoc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { message: e.message.split('\n')[0], line: pos.line, column: pos.col };
      }),
    };
  }
  const locate = (path: readonly PropertyKey[], key = false): { line: number; column: number } | undefined => {
    let node: unknown = yamlDoc.contents;
    let offset: number | undefined = (node as Node | null)?.range?.[0];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as Node | null;
        const valueNode = pair.value as Node | null;
        offset = last && key ? keyNode?.range?.[0] : (valueNode?.range?.[0] ?? keyNode?.range?.[0]);
        node = valueNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0];
        node = item;
      } else break;
    }
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { doc: { data: yamlDoc.toJS({ maxAliasCount: 1000 }), locate }, errors: [] };
}

/** 'families.HCM.devices[3].limits' from ['families','HCM','devices',3,'limits']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
