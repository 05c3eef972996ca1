/** Numbers, sizes, durations and times the way the CLI shows them to people. */

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Wasm pages (64 KiB) as a size. */
export function formatPages(pages: number): string {
  return formatBytes(pages * 64 * 1024);
}

/** The two most significant units: `850ms`, `42s`, `5m 3s`, `3h 12m`, `4d 2h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  return parts
    .slice(first, first + 2)
    .filter(([v], i) => i === 0 || v > 0)
    .map(([v, u]) => `${v}${u}`)
    .join(' ');
}

/** ISO 8601 UTC with milliseconds; unambiguous across time zones and sortable. */
export function formatTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-';
}

/** `3m ago`, relative to `now`. */
export function formatAge(ms: number, now: number): string {
  return ms > 0 ? `${formatDuration(now - ms)} ago` : '-';
}
