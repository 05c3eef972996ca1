/**
 * Plain-text tables for humans: left-aligned columns separated by two spaces, the last column not
 * padded (so long values such as errors do not push trailing spaces). Machines use --json instead.
 */
export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Display width in terminal columns; good enough for the ASCII and Latin text we print. */
function width(text: string): number {
  return [...text].length;
}

export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/[\r\n\t]+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - width(v));
        if (columns[i]!.right) return pad + v;
        return i === values.length - 1 ? v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`;
}

/** `key   value` lines with aligned values, for one object. */
export function renderFields(fields: readonly [string, string][]): string {
  const w = Math.max(...fields.map(([k]) => width(k)));
  return `${fields.map(([k, v]) => `${k}${' '.repeat(w - width(k))}  ${v}`.trimEnd()).join('\n')}\n`;
}

/** Cuts `text` to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
