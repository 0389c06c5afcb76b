/** Plain-text tables for the terminal: a header, a rule, right-aligned numbers. */

export interface Column {
  readonly header: string;
  /** 'left' for names, 'right' (default) for numbers. */
  readonly align?: 'left' | 'right';
}

/** Rows of cells under headers, each column as wide as its widest cell; lines end with '\n'. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = columns.map((c, j) => Math.max(c.header.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, j) => (columns[j].align === 'left' ? cell.padEnd(widths[j]) : cell.padStart(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
