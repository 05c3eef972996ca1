/*
 * A small strict JSON reader (RFC 8259) for the A2A helper (a2a.c): the text is read into a flat
 * list of tokens in document order, each knowing where its subtree ends, so lookups walk the
 * list without building a tree; strings stay in the text and are unescaped on demand.
 *
 * Nesting is bounded (CAXTON_JSON_MAX_DEPTH): the reader recurses once per object or array, so a
 * hostile body of thousands of nested brackets is refused at the 65th level instead of
 * exhausting the agent's stack (a trap). The text is already bounded by the deployment's HTTP
 * response limit, and so is the token list (at most one token per byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct reader {
  const char *s;
  size_t n, i;
  cx_json *doc;
} reader;

static void ws(reader *r) {
  while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r')) r->i++;
}

static int push(reader *r, uint8_t type, size_t start) {
  cx_json *d = r->doc;
  if (d->len == d->cap) {
    if (d->cap > SIZE_MAX / 2 / sizeof *d->toks) return -1; /* unreachable within the response limit */
    size_t cap = d->cap ? d->cap * 2 : 64;
    cx_json_tok *t = realloc(d->toks, cap * sizeof *t);
    if (!t) return -1;
    d->toks = t;
    d->cap = cap;
  }
  d->toks[d->len] = (cx_json_tok){ type, (uint32_t)start, (uint32_t)start, 0 };
  return (int)d->len++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A string token: its start and end exclude the quotes; escapes are only checked here. */
static int string(reader *r) {
  int t = push(r, CX_JSON_STRING, r->i + 1);
  if (t < 0) return CX_JSON_INVALID;
  r->i++;
  while (r->i < r->n) {
    unsigned char c = (unsigned char)r->s[r->i];
    if (c == '"') {
      r->doc->toks[t].end = (uint32_t)r->i;
      r->i++;
      r->doc->toks[t].next = (uint32_t)r->doc->len;
      return 0;
    }
    if (c < 0x20) return CX_JSON_INVALID;
    if (c == '\\') {
      if (r->i + 1 >= r->n) return CX_JSON_INVALID;
      char e = r->s[r->i + 1];
      if (e == 'u') {
        if (r->i + 6 > r->n) return CX_JSON_INVALID;
        for (int k = 2; k < 6; k++) {
          if (hexval(r->s[r->i + k]) < 0) return CX_JSON_INVALID;
        }
        r->i += 6;
        continue;
      }
      if (!strchr("\"\\/bfnrt", e) || e == 0) return CX_JSON_INVALID;
      r->i += 2;
      continue;
    }
    r->i++;
  }
  return CX_JSON_INVALID;
}

static int digits(reader *r) {
  size_t from = r->i;
  while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') r->i++;
  return r->i > from ? 0 : CX_JSON_INVALID;
}

static int number(reader *r) {
  int t = push(r, CX_JSON_NUMBER, r->i);
  if (t < 0) return CX_JSON_INVALID;
  if (r->s[r->i] == '-') r->i++;
  if (r->i < r->n && r->s[r->i] == '0') r->i++;
  else if (digits(r)) return CX_JSON_INVALID;
  if (r->i < r->n && r->s[r->i] == '.') {
    r->i++;
    if (digits(r)) return CX_JSON_INVALID;
  }
  if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
    r->i++;
    if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-')) r->i++;
    if (digits(r)) return CX_JSON_INVALID;
  }
  r->doc->toks[t].end = (uint32_t)r->i;
  r->doc->toks[t].next = (uint32_t)r->doc->len;
  return 0;
}

static int literal(reader *r, const char *word, uint8_t type) {
  size_t k = strlen(word);
  if (r->n - r->i < k || memcmp(r->s + r->i, word, k) != 0) return CX_JSON_INVALID;
  int t = push(r, type, r->i);
  if (t < 0) return CX_JSON_INVALID;
  r->i += k;
  r->doc->toks[t].end = (uint32_t)r->i;
  r->doc->toks[t].next = (uint32_t)r->doc->len;
  return 0;
}

static int value(reader *r, int depth);

static int container(reader *r, int depth, bool object) {
  if (depth > CAXTON_JSON_MAX_DEPTH) return CX_JSON_TOO_DEEP;
  int t = push(r, object ? CX_JSON_OBJECT : CX_JSON_ARRAY, r->i);
  if (t < 0) return CX_JSON_INVALID;
  char close = object ? '}' : ']';
  r->i++;
  ws(r);
  if (r->i < r->n && r->s[r->i] == close) {
    r->i++;
  } else {
    for (;;) {
      ws(r);
      int e;
      if (object) {
        if (r->i >= r->n || r->s[r->i] != '"') return CX_JSON_INVALID;
        if ((e = string(r))) return e;
        ws(r);
        if (r->i >= r->n || r->s[r->i] != ':') return CX_JSON_INVALID;
        r->i++;
        ws(r);
      }
      if ((e = value(r, depth))) return e;
      ws(r);
      if (r->i < r->n && r->s[r->i] == ',') {
        r->i++;
        continue;
      }
      if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        break;
      }
      return CX_JSON_INVALID;
    }
  }
  r->doc->toks[t].end = (uint32_t)r->i;
  r->doc->toks[t].next = (uint32_t)r->doc->len;
  return 0;
}

static int value(reader *r, int depth) {
  if (r->i >= r->n) return CX_JSON_INVALID;
  char c = r->s[r->i];
  if (c == '{') return container(r, depth + 1, true);
  if (c == '[') return container(r, depth + 1, false);
  if (c == '"') return string(r);
  if (c == 't') return literal(r, "true", CX_JSON_TRUE);
  if (c == 'f') return literal(r, "false", CX_JSON_FALSE);
  if (c == 'n') return literal(r, "null", CX_JSON_NULL);
  if (c == '-' || (c >= '0' && c <= '9')) return number(r);
  return CX_JSON_INVALID;
}

int cx_json_parse(caxton_str text, cx_json *doc) {
  *doc = (cx_json){ 0 };
  doc->text = text.ptr ? text.ptr : "";
  reader r = { doc->text, text.len, 0, doc };
  ws(&r);
  int e = value(&r, 0);
  if (!e) {
    ws(&r);
    if (r.i != r.n) e = CX_JSON_INVALID;
  }
  if (e) cx_json_free(doc);
  return e;
}

void cx_json_free(cx_json *doc) {
  free(doc->toks);
  doc->toks = NULL;
  doc->len = doc->cap = 0;
}

/* Appends the UTF-8 of code point `cp` at out. */
static size_t utf8(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static uint32_t hex4(const char *p) {
  return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

size_t cx_json_unescape(const cx_json *doc, int t, char *out) {
  const char *s = doc->text + doc->toks[t].start, *end = doc->text + doc->toks[t].end;
  size_t n = 0;
  while (s < end) {
    if (*s != '\\') {
      out[n++] = *s++;
      continue;
    }
    char e = s[1];
    s += 2;
    switch (e) {
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        uint32_t cp = hex4(s);
        s += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
          uint32_t lo = hex4(s + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            s += 6;
          }
        }
        /* A lone surrogate is no character: U+FFFD, as JavaScript's TextDecoder would. */
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        /* 6 escaped bytes always make at most 4 (a pair: 12 make 4), so `out` cannot overflow. */
        n += utf8(out + n, cp);
        break;
      }
      default: out[n++] = e; break; /* " \ / */
    }
  }
  return n;
}

char *cx_json_string(const cx_json *doc, int t) {
  if (t < 0 || doc->toks[t].type != CX_JSON_STRING) return NULL;
  char *out = malloc(doc->toks[t].end - doc->toks[t].start + 1);
  if (!out) return NULL;
  out[cx_json_unescape(doc, t, out)] = 0;
  return out;
}

/* Whether string token `t` reads `key` (escapes decoded). */
static bool key_is(const cx_json *doc, int t, const char *key) {
  size_t raw = doc->toks[t].end - doc->toks[t].start, k = strlen(key);
  const char *p = doc->text + doc->toks[t].start;
  if (!memchr(p, '\\', raw)) return raw == k && memcmp(p, key, k) == 0;
  char *s = cx_json_string(doc, t);
  bool same = s && strcmp(s, key) == 0;
  free(s);
  return same;
}

int cx_json_get(const cx_json *doc, int obj, const char *key) {
  if (obj < 0 || doc->toks[obj].type != CX_JSON_OBJECT) return -1;
  int found = -1;
  /* Members are (key, value) pairs; a repeated key: the last one wins, as JSON.parse does. */
  for (uint32_t i = (uint32_t)obj + 1; i < doc->toks[obj].next; i = doc->toks[i + 1].next) {
    if (key_is(doc, (int)i, key)) found = (int)i + 1;
  }
  return found;
}

int cx_json_typed(const cx_json *doc, int obj, const char *key, uint8_t type) {
  int v = cx_json_get(doc, obj, key);
  return v >= 0 && doc->toks[v].type == type ? v : -1;
}

bool cx_json_str_is(const cx_json *doc, int t, const char *s) {
  return t >= 0 && doc->toks[t].type == CX_JSON_STRING && key_is(doc, t, s);
}

size_t cx_json_quote(char *out, caxton_str s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  if (out) out[n] = '"';
  n++;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    if (esc) {
      if (out) memcpy(out + n, esc, 2);
      n += 2;
    } else if (c < 0x20) {
      if (out) {
        memcpy(out + n, "\\u00", 4);
        out[n + 4] = hex[c >> 4];
        out[n + 5] = hex[c & 15];
      }
      n += 6;
    } else {
      if (out) out[n] = (char)c;
      n++;
    }
  }
  if (out) out[n] = '"';
  return n + 1;
}
