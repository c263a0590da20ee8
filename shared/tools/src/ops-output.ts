export type Cell = string | number | boolean | null | undefined;

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  return String(cell);
}

/** A plain-text table with a header row, columns padded to their widest cell. */
export function renderTable(columns: readonly string[], rows: readonly Cell[][]): string {
  if (rows.length === 0) return '(none)';
  const cells = [columns.map(String), ...rows.map((row) => row.map(text))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0]),
    line(widths.map((width) => '-'.repeat(width))),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** "3 s", "4 min", "2 h 5 min": how long an event has been waiting, for people. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** Shortens long cells (errors, bodies) to keep a table readable. */
export function clip(value: string | null, width = 60): string | null {
  if (value === null) return null;
  const single = value.replace(/\s+/g, ' ');
  return single.length > width ? `${single.slice(0, width - 1)}…` : single;
}
