/**
 * Lists sized to what they hold, for the bus thread's per-message work (decision 2125). A first
 * `push` onto `[]` makes V8 reserve 17 slots (~150 bytes); a list that usually holds one item (a
 * send's deliveries: most sends have one receiver) starts as one shared empty list, and `added`
 * makes the first real one a list of exactly one. Only for such lists: a second item grows the
 * list of one to 17 slots anyway (V8 grows by half plus 16), so a list that usually holds two
 * (a handling's steps: its send and its completion) gains nothing — measured, not kept there.
 */

/** The shared, frozen empty list such a list starts as (never added to: `added` replaces it). */
export const NO_ITEMS: readonly never[] = Object.freeze([]);

/**
 * `list` with `item` at its end: a new list of one in place of an empty one, else `list` itself,
 * pushed (a list `added` made is its caller's own). Assign the result back.
 */
export function added<T>(list: readonly T[], item: T): readonly T[] {
  if (list.length === 0) return [item];
  (list as T[]).push(item);
  return list;
}
