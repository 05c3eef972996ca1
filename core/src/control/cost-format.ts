/**
 * How costs and the ids they are kept by read for people (decision 2184): the same in `caxton top`
 * and the console's Costs page. No imports: the console's browser bundle takes it.
 */
/** Fuel as people read it: 12.3M, 4.5k, 950 (`caxton top` and the console's Costs page). */
export function formatFuel(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/**
 * A sender-chosen id (a conversation's) made safe to show: no control character, nor a format
 * character that would reorder or hide what follows (bidi embeddings and isolates, zero-width marks,
 * the BOM) — each becomes `?`. For a terminal and for a page alike.
 */
export function visibleId(id: string): string {
  return id.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '?');
}
