/**
 * What one host call (or one export result) may lift from guest memory. Strings and lists are
 * counted as they are reached — before the host decodes or allocates them — so a guest cannot make
 * the host allocate more than the caps by pointing many list entries at the same big string: each
 * reference is counted again. Pure.
 *
 * Units are code units as the guest encodes them (UTF-8 bytes, or UTF-16 units): an upper bound of
 * the JavaScript string length the host will make, and never more than the UTF-8 size of a valid
 * string, so a cap equal to a byte limit never refuses a value that limit allows.
 */
import { LiftLimitExceeded } from './refusals.js';

export interface LiftCaps {
  /** String code units, all strings of the value together. */
  units: number;
  /** List entries, all lists of the value together. */
  items: number;
}

export class LiftBudget {
  units = 0;
  items = 0;

  constructor(
    readonly what: string,
    readonly caps: LiftCaps,
  ) {}

  /** Starts counting again (one budget object is reused for every call of a host function). */
  reset(): void {
    this.units = 0;
    this.items = 0;
  }

  /** Counts a string of `len` code units about to be lifted; throws past the cap. */
  string(len: number): void {
    this.units += len;
    if (this.units > this.caps.units) throw new LiftLimitExceeded(this.what, this.caps.units, 'units');
  }

  /** Counts a list of `len` entries about to be lifted; throws past the cap. */
  list(len: number): void {
    this.items += len;
    if (this.items > this.caps.items) throw new LiftLimitExceeded(this.what, this.caps.items, 'items');
  }

  /** The data measure host-call fuel is charged for: units plus a slot's 8 bytes per list entry. */
  bytes(): number {
    return this.units + 8 * this.items;
  }
}
