/**
 * Priority classes of a kind's activations (decision 2187): which instances give up their place in
 * memory first when a node runs out of activation slots. Three classes, not a number: an operator
 * chooses between "may wait", "the default" and "must get in", and a ladder of arbitrary numbers
 * would invite priority inflation between teams. Pure: parsed at the boundary, ranked here.
 */
import { InvalidArgumentError } from './errors.js';

export const PRIORITY_CLASSES = ['low', 'normal', 'high'] as const;

export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/** The class of a kind deployed without one. */
export const DEFAULT_PRIORITY_CLASS: PriorityClass = 'normal';

export const PRIORITY_CLASS_HINT = `give one of ${PRIORITY_CLASSES.join(', ')} (default ${DEFAULT_PRIORITY_CLASS})`;

/** `value` as a class, or a typed refusal naming `field`. */
export function parsePriorityClass(value: unknown, field: string): PriorityClass {
  if (typeof value === 'string' && (PRIORITY_CLASSES as readonly string[]).includes(value)) return value as PriorityClass;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : typeof value;
  throw new InvalidArgumentError(field, `${shown} is not a priority class`, PRIORITY_CLASS_HINT);
}

/**
 * The rank of a class (low 0, normal 1, high 2). A record read back from a registry is trusted no
 * further than this: anything but a known class ranks as the default.
 */
export function priorityClassRank(cls: string | undefined): number {
  const i = cls === undefined ? -1 : (PRIORITY_CLASSES as readonly string[]).indexOf(cls);
  return i < 0 ? 1 : i;
}
