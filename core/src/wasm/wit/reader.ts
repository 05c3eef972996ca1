/**
 * Reads WIT text (the component model's interface language) into a typed package: the subset the
 * agent world uses. The generators of hand-free glue (the AssemblyScript SDK's imports and layouts)
 * and the host's checks of its direct binding read wit/agent.wit through it, so the numbers both
 * sides use come from the one file. Anything outside the subset is a WitReadError, never a guess.
 */
import { WitReadError } from './errors.js';
import type { WitField, WitFunction, WitInterface, WitPackage, WitPrimitive, WitType, WitTypeDef, WitWorld } from './model.js';

interface Token {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const PRIMITIVES: ReadonlySet<string> = new Set<WitPrimitive>([
  'bool',
  'u8',
  's8',
  'u16',
  's16',
  'u32',
  's32',
  'u64',
  's64',
  'f32',
  'f64',
  'char',
  'string',
]);

/** Identifiers (with `%`), version numbers, `->` and single punctuation; comments dropped. */
const TOKEN = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|(->|%?[A-Za-z][A-Za-z0-9-]*|[0-9][0-9A-Za-z.+-]*|[{}()<>,;:.=@/*_])/y;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null) throw new WitReadError(`unexpected character ${JSON.stringify(text[at])}`, line, at - lineStart + 1);
    if (m[1] !== undefined) out.push({ text: m[1], line, column: at - lineStart + 1 });
    for (let i = m[0].indexOf('\n'); i >= 0; i = m[0].indexOf('\n', i + 1)) {
      line++;
      lineStart = at + i + 1;
    }
  }
  return out;
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly endLine: number,
  ) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  private fail(message: string): never {
    const t = this.tokens[this.at];
    throw new WitReadError(message, t?.line ?? this.endLine, t?.column ?? 1);
  }

  peek(): string | undefined {
    return this.tokens[this.at]?.text;
  }

  next(): string {
    const t = this.tokens[this.at];
    if (t === undefined) this.fail('unexpected end of the text');
    this.at++;
    return t.text;
  }

  expect(text: string): void {
    if (this.peek() !== text) this.fail(`expected "${text}", found "${this.peek() ?? 'the end'}"`);
    this.at++;
  }

  eat(text: string): boolean {
    if (this.peek() !== text) return false;
    this.at++;
    return true;
  }

  /** A kebab-case name; `%name` escapes a keyword. */
  name(): string {
    const t = this.peek();
    if (t === undefined || !/^%?[a-z][a-z0-9]*(-[a-z0-9]+)*$/i.test(t)) this.fail(`expected a name, found "${t ?? 'the end'}"`);
    this.at++;
    return t.startsWith('%') ? t.slice(1) : t;
  }

  /** `{ item, item, }`: items separated by commas, a trailing one allowed. */
  commaList<T>(open: string, close: string, item: () => T): T[] {
    this.expect(open);
    const out: T[] = [];
    while (!this.eat(close)) {
      out.push(item());
      if (!this.eat(',')) {
        this.expect(close);
        break;
      }
    }
    return out;
  }

  /** Points errors back at the token just read. */
  back(): this {
    this.at--;
    return this;
  }

  /** WIT no reader may accept (a name given twice, an empty record). */
  invalid(what: string): never {
    this.fail(`${what} is not valid WIT`);
  }

  unsupported(what: string): never {
    this.fail(`${what} is outside the WIT subset this reader knows`);
  }
}

/** How deep types may nest (`list<option<…>>`): deeper is refused before it can exhaust the stack. */
const MAX_TYPE_DEPTH = 32;

/** A type as written; names are resolved against the interface's own types and its `use`s. */
function readType(p: Parser, scope: (name: string) => WitType, depth = 0): WitType {
  if (depth > MAX_TYPE_DEPTH) p.unsupported(`a type nested more than ${MAX_TYPE_DEPTH} deep`);
  const escaped = p.peek()?.startsWith('%') === true;
  const word = p.name();
  if (escaped) return scope(word);
  if (PRIMITIVES.has(word) && p.peek() !== '<') return { kind: 'primitive', name: word as WitPrimitive };
  const args = (): (WitType | null)[] => p.commaList('<', '>', () => (p.eat('_') ? null : readType(p, scope, depth + 1)));
  switch (word) {
    case 'list': {
      const [element, extra] = args();
      if (element == null || extra !== undefined) p.invalid('a list without exactly one element type');
      return { kind: 'list', element };
    }
    case 'option': {
      const [some, extra] = args();
      if (some == null || extra !== undefined) p.invalid('an option without exactly one type');
      return { kind: 'option', some };
    }
    case 'result': {
      if (p.peek() !== '<') return { kind: 'result', ok: null, err: null };
      const [ok = null, err = null, extra, ...rest] = args();
      if (extra !== undefined || rest.length > 0 || (ok === null && err === null))
        p.invalid('a result of other than one or two types, or of "_" alone');
      return { kind: 'result', ok, err };
    }
    case 'tuple': {
      const elements = args();
      if (elements.length === 0 || elements.some((e) => e === null)) p.invalid('an empty tuple or "_" in a tuple');
      return { kind: 'tuple', elements: elements as WitType[] };
    }
    case 'borrow':
    case 'own':
    case 'future':
    case 'stream':
      return p.unsupported(`the type ${word}`);
    default:
      return scope(word);
  }
}

/** A name not read before in `seen` (then remembered there); the error points at the name. */
function fresh(p: Parser, seen: Set<string>, what: string): string {
  const n = p.name();
  if (seen.has(n)) p.back().invalid(`a second ${what} named "${n}"`);
  seen.add(n);
  return n;
}

/** `{ a, b }` of one or more items with distinct names (fields, cases). */
function members<T>(p: Parser, what: string, item: (name: string) => T): T[] {
  const seen = new Set<string>();
  const out = p.commaList('{', '}', () => item(fresh(p, seen, what)));
  if (out.length === 0) p.back().invalid(`an empty list of ${what}s`);
  return out;
}

function readInterface(p: Parser, name: string, known: ReadonlyMap<string, WitInterface>): WitInterface {
  const types = new Map<string, WitTypeDef>();
  const used = new Map<string, WitType>();
  const functions: WitFunction[] = [];
  const names = new Set<string>(); // types, uses and functions share the interface's names
  const scope = (n: string): WitType => {
    if (types.has(n)) return { kind: 'named', interface: name, name: n };
    const u = used.get(n);
    if (u === undefined) return p.back().unsupported(`the type "${n}", neither defined nor used before here,`);
    return u;
  };
  const field = (n: string): WitField => {
    p.expect(':');
    return { name: n, type: readType(p, scope) };
  };
  p.expect('{');
  while (!p.eat('}')) {
    const word = p.name();
    if (word === 'use') {
      const from = p.name();
      if (!known.has(from)) p.back().unsupported(`a use of "${from}", not an interface defined before it,`);
      p.expect('.');
      for (const [n, as] of p.commaList('{', '}', () => [p.name(), p.eat('as') ? fresh(p, names, 'item') : null] as const)) {
        if (!known.get(from)?.types.has(n)) p.back().unsupported(`a use of "${from}.${n}", which it does not define,`);
        if (as === null && names.has(n)) p.back().invalid(`a second item named "${n}"`);
        names.add(as ?? n);
        used.set(as ?? n, { kind: 'named', interface: from, name: n });
      }
      p.expect(';');
    } else if (word === 'record') {
      const n = fresh(p, names, 'item');
      types.set(n, { kind: 'record', name: n, fields: members(p, 'field', field) });
    } else if (word === 'enum') {
      const n = fresh(p, names, 'item');
      types.set(n, { kind: 'enum', name: n, cases: members(p, 'case', (c) => c) });
    } else if (word === 'variant') {
      const n = fresh(p, names, 'item');
      const cases = members(p, 'case', (c) => {
        if (!p.eat('(')) return { name: c, type: null };
        const type = readType(p, scope);
        p.expect(')');
        return { name: c, type };
      });
      types.set(n, { kind: 'variant', name: n, cases });
    } else if (word === 'type') {
      const n = fresh(p, names, 'item');
      p.expect('=');
      types.set(n, { kind: 'alias', name: n, type: readType(p, scope) });
      p.expect(';');
    } else if (p.eat(':')) {
      if (names.has(word)) p.back().back().invalid(`a second item named "${word}"`);
      names.add(word);
      p.expect('func');
      const seen = new Set<string>();
      const params = p.commaList('(', ')', () => field(fresh(p, seen, 'parameter')));
      const result = p.eat('->') ? readType(p, scope) : null;
      p.expect(';');
      functions.push({ name: word, params, result });
    } else {
      p.back().unsupported(`"${word}" in an interface`);
    }
  }
  return { name, types, functions };
}

function readWorld(p: Parser, name: string, known: ReadonlyMap<string, WitInterface>): WitWorld {
  const imports: string[] = [];
  const exports: string[] = [];
  const seen = new Set<string>();
  p.expect('{');
  while (!p.eat('}')) {
    const word = p.name();
    if (word !== 'import' && word !== 'export') p.back().unsupported(`"${word}" in a world`);
    const iface = fresh(p, seen, 'import or export');
    if (!known.has(iface)) p.back().unsupported(`an ${word} of "${iface}", not an interface of this package,`);
    p.expect(';');
    (word === 'import' ? imports : exports).push(iface);
  }
  return { name, imports, exports };
}

/** Reads a WIT package: one `package` line, then interfaces and worlds (each defined before its use). */
export function readWit(text: string): WitPackage {
  const p = new Parser(tokenize(text), text.split('\n').length);
  p.expect('package');
  const namespace = p.name();
  p.expect(':');
  const packageName = p.name();
  const version = p.eat('@') ? p.next() : null;
  if (version !== null && !/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version))
    p.back().unsupported(`the version "${version}"`);
  p.expect(';');
  const interfaces = new Map<string, WitInterface>();
  const worlds = new Map<string, WitWorld>();
  while (!p.done()) {
    const word = p.name();
    const name = p.name();
    if (interfaces.has(name) || worlds.has(name)) p.back().invalid(`a second item named "${name}"`);
    if (word === 'interface') interfaces.set(name, readInterface(p, name, interfaces));
    else if (word === 'world') worlds.set(name, readWorld(p, name, interfaces));
    else p.unsupported(`"${word}" at the top level`);
  }
  return { name: `${namespace}:${packageName}`, version, interfaces, worlds };
}

/** `type` with aliases followed: a named record, enum or variant, or the type an alias names. */
export function dealias(pkg: WitPackage, type: WitType): WitType {
  let t = type;
  for (let depth = 0; t.kind === 'named'; depth++) {
    const def = pkg.interfaces.get(t.interface)?.types.get(t.name);
    if (def === undefined || depth > 64) throw new WitReadError(`the type ${t.interface}.${t.name} cannot be resolved`, 0, 0);
    if (def.kind !== 'alias') return t;
    t = def.type;
  }
  return t;
}

/** The record, enum or variant a type names (aliases followed), or null when it names none. */
export function resolveNamed(pkg: WitPackage, type: WitType): Exclude<WitTypeDef, { kind: 'alias' }> | null {
  const t = dealias(pkg, type);
  if (t.kind !== 'named') return null;
  const def = pkg.interfaces.get(t.interface)?.types.get(t.name);
  return def === undefined || def.kind === 'alias' ? null : def;
}
