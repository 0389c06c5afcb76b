/**
 * Tab completion of the shell: function names; inside the first quoted argument of a
 * function that takes a family, family (and group) names; inside a later quoted
 * argument, the device names of that family and 'physics'/'hardware'. Right after
 * `getam(` the family names are offered quoted. Anything else is left to the REPL's
 * own completion (returns undefined).
 */
export interface CompletionSource {
  /** Function names of the shell. */
  readonly functions: readonly string[];
  /** Functions whose first argument is a family. */
  readonly familyFunctions: ReadonlySet<string>;
  /** Family and group names. */
  families(): readonly string[];
  /** Common names of a family's devices (empty for an unknown family). */
  devices(family: string): readonly string[];
}

/** An open call at the end of a line: its function, argument index and the arguments typed before. */
interface OpenCall {
  readonly fn: string;
  readonly arg: number;
  readonly args: readonly string[];
}

/** Scans the line: the innermost open call and, when the line ends inside a string, that string's text so far. */
function scan(line: string): { call?: OpenCall; openString?: { quote: string; text: string } } {
  const stack: { fn: string; args: string[]; argStart: number }[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '"' || c === "'" || c === '`') {
      let k = i + 1;
      while (k < line.length && line[k] !== c) k += line[k] === '\\' ? 2 : 1;
      if (k >= line.length) {
        const top = stack[stack.length - 1];
        return { call: top ? { fn: top.fn, arg: top.args.length, args: top.args } : undefined, openString: { quote: c, text: line.slice(i + 1) } };
      }
      i = k + 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      const m = c === '(' ? /([A-Za-z_$][\w$]*)\s*$/.exec(line.slice(0, i)) : null;
      stack.push({ fn: m ? m[1] : '', args: [], argStart: i + 1 });
    } else if (c === ')' || c === ']' || c === '}') stack.pop();
    else if (c === ',' && stack.length > 0) {
      const top = stack[stack.length - 1];
      top.args.push(line.slice(top.argStart, i).trim());
      top.argStart = i + 1;
    }
    i++;
  }
  const top = stack[stack.length - 1];
  return { call: top ? { fn: top.fn, arg: top.args.length, args: top.args } : undefined };
}

const unquote = (s: string): string | undefined => {
  const m = /^(['"`])(.*)\1$/.exec(s);
  return m ? m[2] : undefined;
};

/** [completions, the text they replace], or undefined to let the REPL complete. */
export function complete(line: string, src: CompletionSource): [string[], string] | undefined {
  const { call, openString } = scan(line);
  if (openString) {
    if (!call || !src.familyFunctions.has(call.fn)) return undefined;
    const typed = openString.text;
    let pool: readonly string[];
    if (call.arg === 0) pool = src.families();
    else {
      const family = unquote(call.args[0] ?? '');
      if (family === undefined) return undefined;
      pool = [...src.devices(family), 'physics', 'hardware'];
    }
    return [pool.filter((p) => p.startsWith(typed)), typed];
  }
  // Right after `getam(`: the families, quoted.
  if (call && src.familyFunctions.has(call.fn) && call.arg === 0 && /\(\s*$/.test(line)) {
    return [src.families().map((f) => `'${f}'`), ''];
  }
  // A name being typed at the end: the shell's functions first, then whatever the REPL knows.
  const m = /(^|[^\w$.])([A-Za-z_$][\w$]*)$/.exec(line);
  if (m) {
    const hits = src.functions.filter((f) => f.startsWith(m[2]));
    if (hits.length > 0) return [hits, m[2]];
  }
  return undefined;
}
