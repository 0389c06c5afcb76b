/**
 * A YAML document that can tell the line and column of a path in it (for
 * ConfigError issues naming file:line:column, path and value, as core's facility
 * loader does).
 */
import { type Document, LineCounter, type Node, isMap, isSeq, parseDocument } from 'yaml';

export interface YamlSource {
  readonly data: unknown;
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

export function parseYamlSource(text: string): { source?: YamlSource; errors: { message: string; line: number; column: number }[] } {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => ({ message: e.message.split('\n')[0], ...lineCol(lines, e.pos[0]) })) };
  }
  const locate = (path: readonly PropertyKey[]) => {
    let node: unknown = doc.contents;
    let offset = (node as Node | null)?.range?.[0];
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(seg));
        if (!pair) break;
        node = pair.value;
        offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node | null)?.range?.[0];
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg];
        offset = (node as Node).range?.[0];
      } else break;
    }
    return offset === undefined ? undefined : lineCol(lines, offset);
  };
  return { source: { data: doc.toJS({ maxAliasCount: 100 }), locate }, errors: [] };
}

function lineCol(lines: LineCounter, offset: number): { line: number; column: number } {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/** 'stages[3].parameters.iterations' from ['stages', 3, 'parameters', 'iterations']. */
export function pathText(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

export function valueAtPath(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
