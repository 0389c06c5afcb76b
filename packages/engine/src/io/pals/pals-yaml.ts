/**
 * A small YAML emitter for PALS files (block style, two-space indent): maps,
 * lists, strings, booleans, integers and floats. Floats always carry a
 * decimal point (`1.0`, `1.0e-07`) so that YAML 1.1 readers (PyYAML) read
 * floats too; the digits are the shortest that read back to the same double.
 */

/** A YAML value; `Int` marks numbers written as integers. */
export type YamlValue = string | number | boolean | Int | YamlValue[] | { [key: string]: YamlValue };

export class Int {
  constructor(readonly value: number) {}
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

function str(s: string): string {
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

export function float(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  const s = String(x);
  if (/[.]/.test(s)) return s;
  const e = s.indexOf('e');
  return e < 0 ? `${s}.0` : `${s.slice(0, e)}.0${s.slice(e)}`;
}

function scalar(v: YamlValue): string | undefined {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return float(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Int) return String(v.value);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return Object.keys(v).length === 0 ? '{}' : undefined;
}

function emit(v: YamlValue, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalar(item);
      if (s !== undefined) out.push(`${indent}- ${s}`);
      else {
        const sub: string[] = [];
        emit(item, `${indent}  `, sub);
        out.push(`${indent}- ${sub[0].slice(indent.length + 2)}`, ...sub.slice(1));
      }
    }
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, YamlValue>)) {
    const s = scalar(val);
    if (s !== undefined) out.push(`${indent}${str(k)}: ${s}`);
    else {
      out.push(`${indent}${str(k)}:`);
      emit(val, Array.isArray(val) ? indent : `${indent}  `, out);
    }
  }
}

/** YAML text of a value (a list or a map). */
export function toYaml(v: YamlValue): string {
  const out: string[] = [];
  emit(v, '', out);
  return `${out.join('\n')}\n`;
}
