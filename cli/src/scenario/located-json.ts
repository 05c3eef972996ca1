/**
 * Strict JSON (RFC 8259) that remembers where each value starts, so a scenario file's refusal can
 * name `file:line` (JSON.parse gives values without positions). Also refuses what JSON.parse lets
 * through silently: a key given twice in one object (the later would win unseen). Pure: no I/O.
 *
 * A value's place is its path as segments: `['steps', 2, 'send', 'performative']` (object keys and
 * array indexes); `lineOf(path)` gives the line its value starts on (1-based), or its parent's.
 * Lines are kept in a tree beside the value (one node per value, its children by key or index), not
 * as joined path strings: those cost key length × elements (a long key over a big array made a 1 MiB
 * file take minutes), and `{"a.b": …}` would collide with `{"a": {"b": …}}`.
 */

/** A value's place: object keys and array indexes from the root. */
export type JsonPath = readonly (string | number)[];

export interface LocatedJson {
  value: unknown;
  /** The line (1-based) where the value at `path` starts; the nearest located parent's otherwise. */
  lineOf(path: JsonPath): number;
}

/** Where one value starts, and where its members do (absent for a scalar or an empty container). */
interface Location {
  line: number;
  children?: Map<string | number, Location>;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Nesting deeper than this is refused before the parser's own stack could be. */
const MAX_DEPTH = 64;

export function parseLocatedJson(text: string): LocatedJson {
  // A byte-order mark some editors write first is not part of the JSON.
  let pos = text.startsWith('\uFEFF') ? 1 : 0;
  let line = 1;

  const fail = (what: string): never => {
    const near = pos < text.length ? `near ${JSON.stringify(text.slice(pos, pos + 12))}` : 'at the end';
    throw new JsonSyntaxError(`${what} ${near}`, line);
  };
  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text[pos]!;
      // A line ends with LF, CR LF or a lone CR (old Mac files): each counts once.
      if (c === '\n' || (c === '\r' && text[pos + 1] !== '\n')) line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') return;
      pos++;
    }
  };
  const expectChar = (c: string): void => {
    if (text[pos] !== c) fail(`expected ${JSON.stringify(c)}`);
    pos++;
  };

  const string = (): string => {
    const start = pos;
    expectChar('"');
    for (;;) {
      const c = text[pos];
      if (c === undefined) fail('unterminated string');
      if (c === '"') break;
      if (c === '\\') {
        // Read the escape exactly, so a bad one is refused where it is, not lines later.
        const e = text[pos + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('a \\u escape without 4 hex digits');
          pos += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) pos += 2;
        else fail('a bad escape in a string');
      } else if (c! < ' ') fail('a control character (a raw newline or tab) inside a string; write it as \\n or \\t');
      else pos++;
    }
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail('a bad escape in a string');
    }
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  /** Parses the value at `pos`, recording where it (and what it holds) starts in `here`. */
  const value = (here: Location, depth: number): unknown => {
    skipSpace();
    here.line = line;
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = text[pos];
    if (c === '{') {
      pos++;
      const out: Record<string, unknown> = {};
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      for (;;) {
        skipSpace();
        const keyLine = line;
        const key = string();
        if (Object.hasOwn(out, key)) {
          line = keyLine;
          fail(`the key ${JSON.stringify(key)} is given twice`);
        }
        skipSpace();
        expectChar(':');
        Object.defineProperty(out, key, {
          value: value(childOf(here, key), depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expectChar('}');
        return out;
      }
    }
    if (c === '[') {
      pos++;
      const out: unknown[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return out;
      }
      for (;;) {
        out.push(value(childOf(here, out.length), depth + 1));
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expectChar(']');
        return out;
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      return Number(m[0]);
    }
    return fail('expected a JSON value');
  };

  const root: Location = { line: 1 };
  const result = value(root, 0);
  skipSpace();
  if (pos < text.length) fail('more text after the JSON value');
  return {
    value: result,
    lineOf(path: JsonPath): number {
      let at = root;
      for (const segment of path) {
        const next = at.children?.get(segment);
        if (next === undefined) break;
        at = next;
      }
      return at.line;
    },
  };
}

function childOf(parent: Location, segment: string | number): Location {
  const child: Location = { line: parent.line };
  (parent.children ??= new Map()).set(segment, child);
  return child;
}
