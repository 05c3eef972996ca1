// A small JSON reader and string quoting for the SDK's wire helpers (the A2A helper, a2a.ts):
// AssemblyScript has no JSON. Strict RFC 8259 into a tree of JsonValue; anything malformed, or
// nested deeper than MAX_DEPTH (so a hostile answer cannot exhaust the stack), reads as null.
// The input is already bounded by the deployment's HTTP response limit.

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

const MAX_DEPTH = 64;

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  /** The member `key` of an object (the last one, as JSON.parse), or null. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** The member `key` when it is a string, else null. */
  getString(key: string): string | null {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.String ? v.str : null;
  }

  get isObject(): bool {
    return this.kind == JsonKind.Object;
  }

  get isArray(): bool {
    return this.kind == JsonKind.Array;
  }
}

class Reader {
  pos: i32 = 0;
  failed: bool = false;

  constructor(private s: string) {}

  private fail(): JsonValue {
    this.failed = true;
    return new JsonValue();
  }

  private ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private literal(word: string): bool {
    if (this.s.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue {
    if (depth > MAX_DEPTH) return this.fail();
    this.ws();
    if (this.pos >= this.s.length) return this.fail();
    const c = this.s.charCodeAt(this.pos);
    const v = new JsonValue();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const str = this.string();
      if (str === null) return this.fail();
      v.kind = JsonKind.String;
      v.str = str;
      return v;
    }
    if (this.literal("true")) {
      v.kind = JsonKind.Bool;
      v.bool = true;
      return v;
    }
    if (this.literal("false")) {
      v.kind = JsonKind.Bool;
      return v;
    }
    if (this.literal("null")) return v;
    return this.number();
  }

  private number(): JsonValue {
    const start = this.pos;
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x2d) this.pos++;
    const digits = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) this.pos++;
      else break;
    }
    if (this.pos == digits) return this.fail();
    const n = parseFloat(this.s.substring(start, this.pos));
    if (isNaN(n)) return this.fail();
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = n;
    return v;
  }

  private hex4(): i32 {
    if (this.pos + 4 > this.s.length) return -1;
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.s.charCodeAt(this.pos++);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      n = (n << 4) | d;
    }
    return n;
  }

  /** A string at `pos` (its opening quote), or null when malformed. */
  string(): string | null {
    this.pos++; // the opening quote
    const parts: string[] = [];
    let run = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c == 0x22) {
        parts.push(this.s.substring(run, this.pos));
        this.pos++;
        return parts.join("");
      }
      if (c < 0x20) return null;
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      parts.push(this.s.substring(run, this.pos));
      this.pos++;
      if (this.pos >= this.s.length) return null;
      const e = this.s.charCodeAt(this.pos++);
      if (e == 0x22) parts.push("\"");
      else if (e == 0x5c) parts.push("\\");
      else if (e == 0x2f) parts.push("/");
      else if (e == 0x62) parts.push("\b");
      else if (e == 0x66) parts.push("\f");
      else if (e == 0x6e) parts.push("\n");
      else if (e == 0x72) parts.push("\r");
      else if (e == 0x74) parts.push("\t");
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) return null;
        parts.push(String.fromCharCode(u));
      } else return null;
      run = this.pos;
    }
    return null;
  }

  private array(depth: i32): JsonValue {
    this.pos++;
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return v;
    }
    while (!this.failed) {
      v.items.push(this.value(depth + 1));
      this.ws();
      if (this.pos >= this.s.length) return this.fail();
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail();
    }
    return v;
  }

  private object(depth: i32): JsonValue {
    this.pos++;
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return v;
    }
    while (!this.failed) {
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return this.fail();
      const key = this.string();
      if (key === null) return this.fail();
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x3a) return this.fail();
      this.pos++;
      v.keys.push(key);
      v.items.push(this.value(depth + 1));
      this.ws();
      if (this.pos >= this.s.length) return this.fail();
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail();
    }
    return v;
  }
}

/** `text` read as one JSON value, or null when it is not valid JSON. */
export function parseJson(text: string): JsonValue | null {
  const r = new Reader(text);
  const v = r.value(0);
  if (r.failed) return null;
  // Only whitespace may follow the value.
  while (r.pos < text.length) {
    const c = text.charCodeAt(r.pos);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return null;
    r.pos++;
  }
  return v;
}

const HEX = "0123456789abcdef";

/** `s` as a JSON string literal, quotes included. */
export function jsonQuote(s: string): string {
  const parts: string[] = ["\""];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    parts.push(s.substring(run, i));
    if (c == 0x22) parts.push("\\\"");
    else if (c == 0x5c) parts.push("\\\\");
    else if (c == 0x0a) parts.push("\\n");
    else if (c == 0x0d) parts.push("\\r");
    else if (c == 0x09) parts.push("\\t");
    else parts.push("\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
    run = i + 1;
  }
  parts.push(s.substring(run));
  parts.push("\"");
  return parts.join("");
}
