/* The SDK's internal JSON reader (json.c), for the A2A helper; not part of the public API. */
#ifndef CAXTON_JSON_H
#define CAXTON_JSON_H

#include "caxton.h"

enum { CX_JSON_NULL, CX_JSON_TRUE, CX_JSON_FALSE, CX_JSON_NUMBER, CX_JSON_STRING, CX_JSON_ARRAY, CX_JSON_OBJECT };
enum { CX_JSON_INVALID = 1, CX_JSON_TOO_DEEP = 2 };

/** One value: its bytes in the text (a string's without the quotes), and the index of the first
    token after its subtree (an object's members are key, value pairs in between). */
typedef struct cx_json_tok {
  uint8_t type;
  uint32_t start, end, next;
} cx_json_tok;

typedef struct cx_json {
  const char *text;
  cx_json_tok *toks;
  size_t len, cap;
} cx_json;

/** 0 (token 0 is the value), CX_JSON_INVALID or CX_JSON_TOO_DEEP. The text must outlive doc. */
int cx_json_parse(caxton_str text, cx_json *doc);
void cx_json_free(cx_json *doc);
/** The member `key` of object token `obj` (the last of that name), or -1. */
int cx_json_get(const cx_json *doc, int obj, const char *key);
/** As cx_json_get, -1 unless the member has `type`. */
int cx_json_typed(const cx_json *doc, int obj, const char *key, uint8_t type);
/** Whether token t is the string s. */
bool cx_json_str_is(const cx_json *doc, int t, const char *s);
/** String token t unescaped into a malloc'd NUL-terminated copy (NULL: not a string). */
char *cx_json_string(const cx_json *doc, int t);
/** String token t unescaped into out (room for its raw length); returns the bytes written. */
size_t cx_json_unescape(const cx_json *doc, int t, char *out);
/** s as a JSON string literal written at out (NULL: only measure); returns its length. */
size_t cx_json_quote(char *out, caxton_str s);

#endif
