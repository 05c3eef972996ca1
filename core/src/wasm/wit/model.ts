/**
 * A WIT package as the reader returns it: the subset of the WIT language the agent world uses
 * (interfaces of records, enums, variants, aliases and functions; a world of whole-interface imports
 * and exports). Names are WIT's kebab-case, `%` escapes removed.
 */

export type WitPrimitive = 'bool' | 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'f32' | 'f64' | 'char' | 'string';

export type WitType =
  | { readonly kind: 'primitive'; readonly name: WitPrimitive }
  | { readonly kind: 'list'; readonly element: WitType }
  | { readonly kind: 'option'; readonly some: WitType }
  | { readonly kind: 'result'; readonly ok: WitType | null; readonly err: WitType | null }
  | { readonly kind: 'tuple'; readonly elements: readonly WitType[] }
  /** A type named in an interface (its own or one it `use`s), resolved by `resolveNamed` (exported as `witResolveNamed`). */
  | { readonly kind: 'named'; readonly interface: string; readonly name: string };

export interface WitField {
  readonly name: string;
  readonly type: WitType;
}

export interface WitCase {
  readonly name: string;
  readonly type: WitType | null;
}

export type WitTypeDef =
  | { readonly kind: 'record'; readonly name: string; readonly fields: readonly WitField[] }
  | { readonly kind: 'enum'; readonly name: string; readonly cases: readonly string[] }
  | { readonly kind: 'variant'; readonly name: string; readonly cases: readonly WitCase[] }
  | { readonly kind: 'alias'; readonly name: string; readonly type: WitType };

export interface WitFunction {
  readonly name: string;
  readonly params: readonly WitField[];
  readonly result: WitType | null;
}

export interface WitInterface {
  readonly name: string;
  /** Types defined here, in source order. */
  readonly types: ReadonlyMap<string, WitTypeDef>;
  readonly functions: readonly WitFunction[];
}

export interface WitWorld {
  readonly name: string;
  readonly imports: readonly string[];
  readonly exports: readonly string[];
}

export interface WitPackage {
  /** `namespace:name` */
  readonly name: string;
  readonly version: string | null;
  readonly interfaces: ReadonlyMap<string, WitInterface>;
  readonly worlds: ReadonlyMap<string, WitWorld>;
}

/** The core module name of an interface as a component's guest imports or exports it. */
export function witInterfaceId(pkg: WitPackage, iface: string): string {
  return `${pkg.name}/${iface}${pkg.version === null ? '' : `@${pkg.version}`}`;
}
