/**
 * Caps on how many things a component may define, checked while it is decoded, as soon as each
 * count is read and before the items are: a hostile component cannot make preparation allocate or
 * loop in proportion to a count it chose. Generous for every real toolchain seen here (the largest,
 * a componentize-py component, has 7 core modules, ~20 core instances and ~40k functions in one
 * module); each cap is raised per node with `caxton serve --component-limit <name>=<n>`.
 */
import { BinaryFormatError } from './reader.js';

export interface ComponentLimits {
  /** Core modules, top level and nested. */
  coreModules: number;
  /** Nested components. */
  components: number;
  /** Component instances (instance section entries), all scopes. */
  instances: number;
  /** Core instances, all scopes. */
  coreInstances: number;
  /** Type definitions (component and core type sections), all scopes. */
  types: number;
  /** Functions defined by one core module. */
  functions: number;
}

export const DEFAULT_COMPONENT_LIMITS: Readonly<ComponentLimits> = Object.freeze({
  coreModules: 64,
  components: 64,
  instances: 4_096,
  coreInstances: 4_096,
  types: 65_536,
  functions: 1_000_000,
});

export type ComponentLimitName = keyof ComponentLimits;

export const COMPONENT_LIMIT_NAMES = Object.keys(DEFAULT_COMPONENT_LIMITS) as ComponentLimitName[];

export class ComponentLimitExceeded extends BinaryFormatError {
  constructor(
    readonly limit: ComponentLimitName,
    readonly value: number,
    readonly max: number,
    offset: number,
  ) {
    super(`the component defines ${value > max ? `more than ${max}` : value} ${describe(limit)}; this node accepts at most ${max}`, offset);
    this.name = 'ComponentLimitExceeded';
  }
}

function describe(limit: ComponentLimitName): string {
  switch (limit) {
    case 'coreModules':
      return 'core modules';
    case 'components':
      return 'nested components';
    case 'instances':
      return 'component instances';
    case 'coreInstances':
      return 'core instances';
    case 'types':
      return 'type definitions';
    case 'functions':
      return 'functions in one core module';
  }
}

/** Running totals of one decode, checked against the limits as each count is read. */
export class ComponentCounts {
  private readonly totals: Record<ComponentLimitName, number> = {
    coreModules: 0,
    components: 0,
    instances: 0,
    coreInstances: 0,
    types: 0,
    functions: 0,
  };

  constructor(private readonly limits: Readonly<ComponentLimits> = DEFAULT_COMPONENT_LIMITS) {}

  /** Adds `n` to a running total (`functions` is per module: checked alone, not summed). */
  add(limit: ComponentLimitName, n: number, offset: number): void {
    const value = limit === 'functions' ? n : (this.totals[limit] += n);
    const max = this.limits[limit];
    if (value > max) throw new ComponentLimitExceeded(limit, value, max, offset);
  }
}

/** Parses `name=value` (a serve flag) into a partial set of limits; throws with what is wrong. */
export function parseComponentLimit(text: string): Partial<ComponentLimits> {
  const m = /^([A-Za-z]+)=(\d+)$/.exec(text.trim());
  const name = m?.[1] as ComponentLimitName | undefined;
  if (!m || !name || !COMPONENT_LIMIT_NAMES.includes(name)) {
    throw new Error(`"${text.slice(0, 80)}" is not <name>=<whole number> with a name among ${COMPONENT_LIMIT_NAMES.join(', ')}`);
  }
  const value = Number(m[2]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name}=${m[2]!.slice(0, 20)} must be a whole number of at least 1`);
  return { [name]: value };
}
