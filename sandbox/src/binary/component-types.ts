/**
 * The component-model type vocabulary the decoder produces, resolved structurally (type indices
 * are followed and inlined), plus a canonical rendering used to compare a component's world with
 * the contract: two functions have the same signature exactly when their renderings are equal.
 */
export type ValType =
  | { k: 'prim'; name: string }
  | { k: 'record'; fields: [string, ValType][] }
  | { k: 'variant'; cases: [string, ValType | null][] }
  | { k: 'list'; t: ValType; len?: number }
  | { k: 'tuple'; ts: ValType[] }
  | { k: 'flags'; names: string[] }
  | { k: 'enum'; names: string[] }
  | { k: 'option'; t: ValType }
  | { k: 'result'; ok: ValType | null; err: ValType | null }
  | { k: 'own'; r: ResourceType }
  | { k: 'borrow'; r: ResourceType }
  | { k: 'stream'; t: ValType | null }
  | { k: 'future'; t: ValType | null }
  | { k: 'map'; key: ValType; value: ValType };

export interface FuncType {
  k: 'func';
  async: boolean;
  params: [string, ValType][];
  result: ValType | null;
}

/** An abstract or defined resource. `name` is the export/import name that introduced it. */
export interface ResourceType {
  k: 'resource';
  name: string;
}

export type Extern =
  | { sort: 'func'; type: FuncType }
  | { sort: 'type'; type: TypeDef }
  | { sort: 'instance'; type: InstanceType }
  | { sort: 'component'; type: ComponentType }
  | { sort: 'module' }
  | { sort: 'value' };

export interface InstanceType {
  k: 'instance';
  exports: Map<string, Extern>;
}

export interface ComponentType {
  k: 'component';
  imports: Map<string, Extern>;
  exports: Map<string, Extern>;
}

export type TypeDef = ValType | FuncType | InstanceType | ComponentType | ResourceType;

export function isValType(t: TypeDef): t is ValType {
  return t.k !== 'func' && t.k !== 'instance' && t.k !== 'component' && t.k !== 'resource';
}

/**
 * Longest type text rendered. Types are compared by their text, and a hostile component can define a
 * chain of `tuple<t, t>` types whose text doubles with every 5 bytes of binary: rendering is
 * memoised per type node and every text is cut at this length, so the work stays linear in the
 * number of type nodes. A cut text cannot equal any of the contract's types (all far shorter).
 */
export const MAX_TYPE_TEXT = 4_096;
const rendered = new WeakMap<object, string>();

function capText(text: string): string {
  return text.length > MAX_TYPE_TEXT ? `${text.slice(0, MAX_TYPE_TEXT)}…` : text;
}

/** Joins child texts, stopping once the result is already too long to matter. */
function joinCapped<T>(items: readonly T[], render: (item: T) => string): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    out += (i > 0 ? ', ' : '') + render(items[i]!);
    if (out.length > MAX_TYPE_TEXT) return out;
  }
  return out;
}

export function renderVal(t: ValType | null): string {
  if (t === null) return '_';
  const known = rendered.get(t);
  if (known !== undefined) return known;
  const text = capText(renderValUncached(t));
  rendered.set(t, text);
  return text;
}

function renderValUncached(t: ValType): string {
  switch (t.k) {
    case 'prim':
      return t.name;
    case 'record':
      return `record{${joinCapped(t.fields, ([n, f]) => `${n}: ${renderVal(f)}`)}}`;
    case 'variant':
      return `variant{${joinCapped(t.cases, ([n, c]) => (c ? `${n}(${renderVal(c)})` : n))}}`;
    case 'list':
      return t.len === undefined ? `list<${renderVal(t.t)}>` : `list<${renderVal(t.t)}, ${t.len}>`;
    case 'tuple':
      return `tuple<${joinCapped(t.ts, renderVal)}>`;
    case 'flags':
      return `flags{${joinCapped(t.names, (n) => n)}}`;
    case 'enum':
      return `enum{${joinCapped(t.names, (n) => n)}}`;
    case 'option':
      return `option<${renderVal(t.t)}>`;
    case 'result':
      return `result<${renderVal(t.ok)}, ${renderVal(t.err)}>`;
    case 'own':
      return `own<${t.r.name}>`;
    case 'borrow':
      return `borrow<${t.r.name}>`;
    case 'stream':
      return `stream<${renderVal(t.t)}>`;
    case 'future':
      return `future<${renderVal(t.t)}>`;
    case 'map':
      return `map<${renderVal(t.key)}, ${renderVal(t.value)}>`;
  }
}

export function renderFunc(f: FuncType): string {
  const params = joinCapped(f.params, ([n, t]) => `${n}: ${renderVal(t)}`);
  const result = f.result ? ` -> ${renderVal(f.result)}` : '';
  return capText(`${f.async ? 'async ' : ''}func(${params})${result}`);
}

export function renderType(t: TypeDef): string {
  switch (t.k) {
    case 'func':
      return renderFunc(t);
    case 'resource':
      return `resource ${t.name}`;
    case 'instance':
      return `instance{${[...t.exports.keys()].join(', ')}}`;
    case 'component':
      return `component{imports: ${[...t.imports.keys()].join(', ')}; exports: ${[...t.exports.keys()].join(', ')}}`;
    default:
      return renderVal(t);
  }
}
