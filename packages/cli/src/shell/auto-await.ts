/**
 * The shell's functions are async; a physicist types `x = getx()` and `getx()[0]` as in
 * MML. Each call of one of them is rewritten as `(await getx())` before the REPL
 * evaluates the line (Node's REPL runs top-level await), skipping strings, template
 * literals and comments. A rewritten line that is no longer valid JavaScript (a call
 * inside a function that is not async) is evaluated as typed (repl.ts).
 */
const IDENT = /[A-Za-z_$][\w$]*/y;
const IDENT_CHAR = /[\w$]/;

/** Index just past the string, template or comment that starts at i; i itself when none starts there. */
function skipLiteral(code: string, i: number): number {
  const c = code[i];
  if (c === '/' && code[i + 1] === '/') {
    const e = code.indexOf('\n', i);
    return e < 0 ? code.length : e;
  }
  if (c === '/' && code[i + 1] === '*') {
    const e = code.indexOf('*/', i + 2);
    return e < 0 ? code.length : e + 2;
  }
  if (c === '"' || c === "'" || c === '`') {
    let k = i + 1;
    while (k < code.length && code[k] !== c) k += code[k] === '\\' ? 2 : 1;
    return Math.min(k + 1, code.length);
  }
  return i;
}

/** The last significant characters before index i (spaces skipped). */
function before(code: string, i: number): string {
  let k = i - 1;
  while (k >= 0 && /\s/.test(code[k])) k--;
  return code.slice(Math.max(0, k - 8), k + 1);
}

export function autoAwait(code: string, names: ReadonlySet<string>): string {
  let out = '';
  let depth = 0;
  /** Paren depths at which a wrapped call's closing paren ends it. */
  const closes: number[] = [];
  let i = 0;
  while (i < code.length) {
    const e = skipLiteral(code, i);
    if (e > i) {
      out += code.slice(i, e);
      i = e;
      continue;
    }
    const c = code[i];
    if (c === '(') depth++;
    if (c === ')') {
      depth--;
      out += c;
      i++;
      while (closes.length > 0 && closes[closes.length - 1] === depth) {
        closes.pop();
        out += ')';
      }
      continue;
    }
    if (/[A-Za-z_$]/.test(c) && (i === 0 || !IDENT_CHAR.test(code[i - 1]))) {
      IDENT.lastIndex = i;
      const id = IDENT.exec(code)![0];
      let k = i + id.length;
      while (k < code.length && /\s/.test(code[k])) k++;
      const prev = before(code, i);
      const wrap = names.has(id) && code[k] === '(' && !prev.endsWith('.') && !/(^|[^\w$])(await|function|async)$/.test(prev);
      if (wrap) {
        out += '(await ';
        closes.push(depth);
      }
      out += id;
      i += id.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
