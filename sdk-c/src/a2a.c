/*
 * Calling A2A agents (A2A 1.0 JSON-RPC SendMessage, SendStreamingMessage, GetTask, CancelTask, or
 * 0.3's message/send, message/stream, tasks/get, tasks/cancel; decisions 1951, 2040) over the
 * deployment's allow-listed outbound HTTP (http.c): the C twin of @caxton/sdk-js/a2a. Requests
 * are built and answers read here, purely; only caxton_a2a_send … call the host.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caxton.h"
#include "json.h"
#include "utf8.h"

#define MARK "caxton-a2a:"
#define STREAM_MARK "caxton-a2a-sse:"

static uint32_t sequence;

const char *caxton_a2a_error_kind_name(uint8_t kind) {
  static const char *names[] = { "refused", "no-response", "http-status", "rpc-error", "malformed" };
  return kind < 5 ? names[kind] : "unknown";
}

static int fail(caxton_a2a_error *err, uint8_t kind, const char *fmt, ...) {
  if (err) {
    *err = (caxton_a2a_error){ .kind = kind };
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    /* Server text (a body, an error's message) can run past the buffer: never end mid-character. */
    cx_utf8_end_cut(err->reason, sizeof err->reason, n);
  }
  return -1;
}

/* How many bytes of s hold its first `chars` UTF-8 characters (a reason quotes a body's start). */
static int prefix_len(caxton_str s, size_t chars) {
  size_t i = 0;
  for (size_t c = 0; i < s.len && c < chars; c++) {
    i++;
    while (i < s.len && ((unsigned char)s.ptr[i] & 0xC0) == 0x80) i++;
  }
  return (int)i;
}

void caxton_a2a_request_free(caxton_a2a_request *r) {
  free(r->body);
  free(r->context);
  free(r->authorization);
  *r = (caxton_a2a_request){ 0 };
}

static bool version_v1(caxton_str v, caxton_a2a_error *err, bool *v1) {
  if (!v.ptr || caxton_str_eq_c(v, "1.0")) return (*v1 = true);
  if (caxton_str_eq_c(v, "0.3")) return !(*v1 = false);
  fail(err, CAXTON_A2A_REFUSED, "invalid-request: the A2A version must be 1.0 or 0.3, got %.*s", prefix_len(v, 20), v.ptr);
  return false;
}

/* One JSON-RPC call as an HTTP POST into *out; `params` (JSON text) is consumed. */
static int rpc_request(caxton_str url, caxton_str token, bool v1, caxton_opt_u32 timeout_ms, const char *mark, caxton_str context,
                       const char *method, const char *accept, char *params, caxton_a2a_request *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_request){ 0 };
  size_t ctx_len = strlen(mark) + context.len;
  size_t body_len = params ? strlen(params) + strlen(method) + 64 : 0;
  if (params) {
    out->context = malloc(ctx_len + 1);
    out->body = malloc(body_len);
    if (token.ptr) out->authorization = malloc(token.len + 8);
  }
  if (!params || !out->context || !out->body || (token.ptr && !out->authorization)) {
    free(params);
    caxton_a2a_request_free(out);
    return fail(err, CAXTON_A2A_REFUSED, "quota-exceeded: out of memory building the request");
  }
  memcpy(out->context, mark, strlen(mark));
  if (context.len) memcpy(out->context + strlen(mark), context.ptr, context.len);
  out->context[ctx_len] = 0;
  int n = snprintf(out->body, body_len, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\",\"params\":%s}", (unsigned)++sequence, method, params);
  free(params);
  size_t h = 0;
  out->headers[h++] = (caxton_pair){ CAXTON_STR("content-type"), CAXTON_STR("application/json") };
  out->headers[h++] = (caxton_pair){ CAXTON_STR("accept"), caxton_str_c(accept) };
  if (v1) out->headers[h++] = (caxton_pair){ CAXTON_STR("a2a-version"), CAXTON_STR("1.0") };
  if (token.ptr) {
    memcpy(out->authorization, "Bearer ", 7);
    memcpy(out->authorization + 7, token.ptr, token.len);
    out->headers[h++] = (caxton_pair){ CAXTON_STR("authorization"), (caxton_str){ out->authorization, token.len + 7 } };
  }
  out->http = (caxton_http_request){
    .method = CAXTON_STR("POST"),
    .url = url,
    .headers = { out->headers, h },
    .body = { true, { out->body, (size_t)n } },
    .timeout_ms = timeout_ms,
    .context = { true, { out->context, ctx_len } },
  };
  return 0;
}

/* A JSON string literal of s, malloc'd and NUL-terminated. */
static char *quoted(caxton_str s) {
  char *q = malloc(cx_json_quote(NULL, s) + 1);
  if (q) q[cx_json_quote(q, s)] = 0;
  return q;
}

static int message_request(const caxton_a2a_call *call, const char *v1_method, const char *v03_method, const char *accept,
                           const char *mark, caxton_a2a_request *out, caxton_a2a_error *err) {
  bool v1;
  if (!version_v1(call->version, err, &v1)) return -1;
  caxton_str id = call->message_id.ptr ? call->message_id : caxton_new_id();
  char *qid = quoted(id), *qtext = quoted(call->text), *qctx = call->context_id.ptr ? quoted(call->context_id) : NULL;
  char *params = NULL;
  if (qid && qtext && (qctx || !call->context_id.ptr)) {
    size_t len = strlen(qid) + strlen(qtext) + (qctx ? strlen(qctx) : 0) + 200;
    params = malloc(len);
    if (params) {
      const char *cid = qctx ? ",\"contextId\":" : "", *cval = qctx ? qctx : "";
      if (v1) {
        snprintf(params, len, "{\"message\":{\"messageId\":%s,\"role\":\"ROLE_USER\",\"parts\":[{\"text\":%s}]%s%s},\"configuration\":{\"returnImmediately\":false}}", qid, qtext, cid, cval);
      } else {
        snprintf(params, len, "{\"message\":{\"kind\":\"message\",\"messageId\":%s,\"role\":\"user\",\"parts\":[{\"kind\":\"text\",\"text\":%s}]%s%s},\"configuration\":{\"blocking\":true}}", qid, qtext, cid, cval);
      }
    }
  }
  free(qid);
  free(qtext);
  free(qctx);
  return rpc_request(call->url, call->token, v1, call->timeout_ms, mark, call->context, v1 ? v1_method : v03_method, accept, params, out, err);
}

static int task_request(const caxton_a2a_task_call *call, const char *v1_method, const char *v03_method, bool history,
                        caxton_a2a_request *out, caxton_a2a_error *err) {
  bool v1;
  if (!version_v1(call->version, err, &v1)) return -1;
  char *qid = quoted(call->task_id), *params = NULL;
  if (qid) {
    size_t len = strlen(qid) + 48;
    params = malloc(len);
    if (params && history && call->history_length.is_some) snprintf(params, len, "{\"id\":%s,\"historyLength\":%u}", qid, (unsigned)call->history_length.val);
    else if (params) snprintf(params, len, "{\"id\":%s}", qid);
  }
  free(qid);
  return rpc_request(call->url, call->token, v1, call->timeout_ms, MARK, call->context, v1 ? v1_method : v03_method, "application/json", params, out, err);
}

int caxton_a2a_send_request(const caxton_a2a_call *call, caxton_a2a_request *out, caxton_a2a_error *err) {
  return message_request(call, "SendMessage", "message/send", "application/json", MARK, out, err);
}

int caxton_a2a_stream_request(const caxton_a2a_call *call, caxton_a2a_request *out, caxton_a2a_error *err) {
  return message_request(call, "SendStreamingMessage", "message/stream", "text/event-stream", STREAM_MARK, out, err);
}

int caxton_a2a_get_task_request(const caxton_a2a_task_call *call, caxton_a2a_request *out, caxton_a2a_error *err) {
  return task_request(call, "GetTask", "tasks/get", true, out, err);
}

int caxton_a2a_cancel_task_request(const caxton_a2a_task_call *call, caxton_a2a_request *out, caxton_a2a_error *err) {
  return task_request(call, "CancelTask", "tasks/cancel", false, out, err);
}

/* Sends a built request: 0 with *id, or -1 with a `refused` error; the request is freed either way. */
static int fetch(int built, caxton_a2a_request *r, caxton_str *id, caxton_a2a_error *err) {
  if (built) return -1;
  caxton_http_error e;
  int rc = caxton_http_fetch(&r->http, id, &e);
  caxton_a2a_request_free(r);
  if (rc) return fail(err, CAXTON_A2A_REFUSED, "%s: %.*s", caxton_http_error_kind_name(e.kind), (int)e.message.len, e.message.ptr);
  return 0;
}

int caxton_a2a_send(const caxton_a2a_call *call, caxton_str *id, caxton_a2a_error *err) {
  caxton_a2a_request r;
  return fetch(caxton_a2a_send_request(call, &r, err), &r, id, err);
}

int caxton_a2a_stream(const caxton_a2a_call *call, caxton_str *id, caxton_a2a_error *err) {
  caxton_a2a_request r;
  return fetch(caxton_a2a_stream_request(call, &r, err), &r, id, err);
}

int caxton_a2a_get(const caxton_a2a_task_call *call, caxton_str *id, caxton_a2a_error *err) {
  caxton_a2a_request r;
  return fetch(caxton_a2a_get_task_request(call, &r, err), &r, id, err);
}

int caxton_a2a_cancel(const caxton_a2a_task_call *call, caxton_str *id, caxton_a2a_error *err) {
  caxton_a2a_request r;
  return fetch(caxton_a2a_cancel_task_request(call, &r, err), &r, id, err);
}

/* ---- reading answers -------------------------------------------------------------------------- */

void caxton_a2a_result_free(caxton_a2a_result *r) {
  free(r->task_id);
  free(r->message_id);
  free(r->context_id);
  free(r->state);
  free(r->text);
  for (size_t i = 0; i < r->states_len; i++) free(r->states[i]);
  free(r->states);
  *r = (caxton_a2a_result){ 0 };
}

/* A growable text (the parts joined by newlines). */
typedef struct buf {
  char *p;
  size_t len, cap;
  bool oom;
} buf;

static void buf_reserve(buf *b, size_t more) {
  if (b->oom || b->len + more + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + more + 1) {
    if (cap > SIZE_MAX / 2) { /* unreachable within the response limit; never wrap and loop */
      b->oom = true;
      return;
    }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return;
  }
  b->p = p;
  b->cap = cap;
}

static void buf_add(buf *b, const char *s, size_t n) {
  buf_reserve(b, n);
  if (b->oom) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

/* Appends string token t, unescaped. */
static void buf_add_tok(buf *b, const cx_json *d, int t) {
  buf_reserve(b, d->toks[t].end - d->toks[t].start);
  if (b->oom) return;
  b->len += cx_json_unescape(d, t, b->p + b->len);
  b->p[b->len] = 0;
}

/* The text, malloc'd and NUL-terminated, its length (NULs inside it included) in *len; NULL when out of memory. */
static char *buf_take(buf *b, size_t *len) {
  *len = b->len;
  if (b->oom) {
    free(b->p);
    return NULL;
  }
  if (!b->p) return calloc(1, 1);
  return b->p;
}

/* The text parts of parts array token `parts` (1.0: {text}; 0.3: {kind:'text', text}) appended, joined by newlines. */
static void parts_text(buf *b, const cx_json *d, int parts) {
  if (parts < 0 || d->toks[parts].type != CX_JSON_ARRAY) return;
  bool first = true;
  for (uint32_t i = (uint32_t)parts + 1; i < d->toks[parts].next; i = d->toks[i].next) {
    int t = cx_json_typed(d, (int)i, "text", CX_JSON_STRING);
    if (t < 0) continue;
    if (!first) buf_add(b, "\n", 1);
    first = false;
    buf_add_tok(b, d, t);
  }
}

/* TASK_STATE_INPUT_REQUIRED (1.0) and input-required (0.3) alike: input-required. */
static char *state_name(const cx_json *d, int t) {
  char *s = t >= 0 ? cx_json_string(d, t) : NULL;
  if (!s) return t >= 0 && d->toks[t].type == CX_JSON_STRING ? NULL : strdup("unknown");
  size_t skip = strncmp(s, "TASK_STATE_", 11) == 0 ? 11 : 0;
  memmove(s, s + skip, strlen(s + skip) + 1);
  for (char *p = s; *p; p++) {
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    else if (*p == '_') *p = '-';
  }
  return s;
}

static bool is_final(const char *state) {
  return state && (!strcmp(state, "completed") || !strcmp(state, "failed") || !strcmp(state, "canceled") || !strcmp(state, "rejected"));
}

static int status_message_parts(const cx_json *d, int status) {
  int m = cx_json_typed(d, status, "message", CX_JSON_OBJECT);
  return cx_json_get(d, m, "parts");
}

static char *opt_string(const cx_json *d, int obj, const char *key) {
  return cx_json_string(d, cx_json_typed(d, obj, key, CX_JSON_STRING));
}

static int oom(caxton_a2a_result *out, caxton_a2a_error *err) {
  caxton_a2a_result_free(out);
  return fail(err, CAXTON_A2A_MALFORMED, "out of memory reading the answer");
}

static int message_result(const cx_json *d, int m, caxton_a2a_result *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_result){ .is_task = false, .is_final = true };
  out->message_id = opt_string(d, m, "messageId");
  out->context_id = opt_string(d, m, "contextId");
  buf b = { 0 };
  parts_text(&b, d, cx_json_get(d, m, "parts"));
  if (!(out->text = buf_take(&b, &out->text_len))) return oom(out, err);
  return 0;
}

#define TOO_MANY_ARTIFACTS "the task has more than 1000 artifacts"
_Static_assert(CAXTON_A2A_MAX_ARTIFACTS == 1000, "TOO_MANY_ARTIFACTS names the limit");

/* Whether array token `list` (-1: none) holds more than CAXTON_A2A_MAX_ARTIFACTS items. */
static bool too_many_artifacts(const cx_json *d, int list) {
  if (list < 0) return false;
  size_t n = 0;
  for (uint32_t i = (uint32_t)list + 1; i < d->toks[list].next; i = d->toks[i].next) {
    if (++n > CAXTON_A2A_MAX_ARTIFACTS) return true;
  }
  return false;
}

static int task_result(const cx_json *d, int task, caxton_a2a_result *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_result){ .is_task = true };
  if (cx_json_typed(d, task, "id", CX_JSON_STRING) < 0) return fail(err, CAXTON_A2A_MALFORMED, "the task has no id");
  int arts = cx_json_typed(d, task, "artifacts", CX_JSON_ARRAY);
  if (too_many_artifacts(d, arts)) return fail(err, CAXTON_A2A_MALFORMED, TOO_MANY_ARTIFACTS);
  out->task_id = opt_string(d, task, "id");
  out->context_id = opt_string(d, task, "contextId");
  int status = cx_json_typed(d, task, "status", CX_JSON_OBJECT);
  out->state = state_name(d, cx_json_get(d, status, "state"));
  out->is_final = is_final(out->state);
  buf b = { 0 };
  if (arts >= 0) {
    for (uint32_t i = (uint32_t)arts + 1; i < d->toks[arts].next; i = d->toks[i].next) {
      buf one = { 0 };
      parts_text(&one, d, cx_json_get(d, (int)i, "parts"));
      if (one.len) {
        if (b.len) buf_add(&b, "\n", 1);
        buf_add(&b, one.p, one.len);
      }
      free(one.p);
    }
  }
  if (!b.len) parts_text(&b, d, status_message_parts(d, status));
  if (!(out->text = buf_take(&b, &out->text_len)) || !out->task_id || !out->state) return oom(out, err);
  return 0;
}

static int read_json(caxton_str text, const char *what, cx_json *d, caxton_a2a_error *err) {
  int e = cx_json_parse(text, d);
  if (e == CX_JSON_TOO_DEEP) return fail(err, CAXTON_A2A_MALFORMED, "%s nests deeper than %d levels", what, CAXTON_JSON_MAX_DEPTH);
  if (e) return fail(err, CAXTON_A2A_MALFORMED, "%s is not JSON: %.*s", what, prefix_len(text, 120), text.ptr ? text.ptr : "");
  return 0;
}

static int rpc_error(const cx_json *d, int e, caxton_a2a_error *err) {
  int m = cx_json_get(d, e, "message");
  char *message = m >= 0 && d->toks[m].type == CX_JSON_STRING ? cx_json_string(d, m) : NULL;
  int data = cx_json_typed(d, e, "data", CX_JSON_OBJECT);
  char *hint = opt_string(d, data, "hint");
  const char *number = m >= 0 && d->toks[m].type == CX_JSON_NUMBER ? d->text + d->toks[m].start : NULL;
  int number_len = number ? (int)(d->toks[m].end - d->toks[m].start) : 0;
  if (message) fail(err, CAXTON_A2A_RPC_ERROR, "%s%s%s%s", message, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
  else if (number) fail(err, CAXTON_A2A_RPC_ERROR, "%.*s%s%s%s", number_len, number, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
  else fail(err, CAXTON_A2A_RPC_ERROR, "error%s%s%s", hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
  free(message);
  free(hint);
  int c = cx_json_typed(d, e, "code", CX_JSON_NUMBER);
  if (err && c >= 0) {
    char digits[24] = { 0 };
    size_t n = d->toks[c].end - d->toks[c].start;
    if (n < sizeof digits) {
      memcpy(digits, d->text + d->toks[c].start, n);
      char *end;
      long long v = strtoll(digits, &end, 10);
      if (*end == 0) {
        err->code = v;
        err->has_code = true;
      }
    }
  }
  return -1;
}

int caxton_a2a_result_from_body(caxton_str body, caxton_a2a_result *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_result){ 0 };
  cx_json d;
  if (read_json(body, "the answer", &d, err)) return -1;
  int rc;
  if (d.toks[0].type != CX_JSON_OBJECT || !cx_json_str_is(&d, cx_json_get(&d, 0, "jsonrpc"), "2.0")) {
    rc = fail(err, CAXTON_A2A_MALFORMED, "the answer is not a JSON-RPC 2.0 response");
  } else if (cx_json_typed(&d, 0, "error", CX_JSON_OBJECT) >= 0) {
    rc = rpc_error(&d, cx_json_get(&d, 0, "error"), err);
  } else {
    int r = cx_json_typed(&d, 0, "result", CX_JSON_OBJECT);
    int kind = cx_json_get(&d, r, "kind");
    /* 1.0 wraps SendMessage's oneof: {task} or {message}; GetTask and CancelTask answer the Task
       itself; 0.3 sends the object with `kind`. */
    int task = cx_json_typed(&d, r, "task", CX_JSON_OBJECT);
    if (task < 0 && (cx_json_str_is(&d, kind, "task") || (kind < 0 && cx_json_typed(&d, r, "id", CX_JSON_STRING) >= 0 && cx_json_typed(&d, r, "status", CX_JSON_OBJECT) >= 0))) task = r;
    int msg = cx_json_typed(&d, r, "message", CX_JSON_OBJECT);
    if (msg < 0 && cx_json_str_is(&d, kind, "message")) msg = r;
    if (r < 0) rc = fail(err, CAXTON_A2A_MALFORMED, "the JSON-RPC response has no result");
    else if (task >= 0) rc = task_result(&d, task, out, err);
    else if (msg >= 0) rc = message_result(&d, msg, out, err);
    else rc = fail(err, CAXTON_A2A_MALFORMED, "the result is neither a Task nor a Message");
  }
  cx_json_free(&d);
  return rc;
}

/* A stream's artifacts, in the order first seen, found by id through an open-addressed hash
   table (at most CAXTON_A2A_MAX_ARTIFACTS of them, so it never fills past half). */
typedef struct artifact {
  char *id;
  buf text;
} artifact;

#define ARTIFACT_SLOTS 2048 /* a power of two, more than twice CAXTON_A2A_MAX_ARTIFACTS */
_Static_assert(ARTIFACT_SLOTS >= 2 * CAXTON_A2A_MAX_ARTIFACTS, "the table stays at most half full");

typedef struct artifacts {
  artifact *list;
  size_t len, cap;
  uint16_t *slots; /* ARTIFACT_SLOTS of: 0 empty, else index + 1 into list */
} artifacts;

static void artifacts_free(artifacts *a) {
  for (size_t i = 0; i < a->len; i++) {
    free(a->list[i].id);
    free(a->list[i].text.p);
  }
  free(a->list);
  free(a->slots);
  *a = (artifacts){ 0 };
}

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static int push_state(caxton_a2a_result *out, char *state) {
  if (!state) return -1;
  if (out->states_len && !strcmp(out->states[out->states_len - 1], state)) {
    free(state);
    return 0;
  }
  char **s = realloc(out->states, (out->states_len + 1) * sizeof *s);
  if (!s) {
    free(state);
    return -1;
  }
  out->states = s;
  out->states[out->states_len++] = state;
  return 0;
}

/* Sets (or with `append` extends) artifact object token `a`'s text: 0, -1 out of memory, 1 past
   CAXTON_A2A_MAX_ARTIFACTS. */
static int set_artifact(artifacts *arts, const cx_json *d, int a, bool append) {
  if (!arts->slots && !(arts->slots = calloc(ARTIFACT_SLOTS, sizeof *arts->slots))) return -1;
  char *id = opt_string(d, a, "artifactId");
  if (!id) {
    id = malloc(24);
    if (!id) return -1;
    snprintf(id, 24, "%zu", arts->len);
  }
  uint32_t slot = hash(id) & (ARTIFACT_SLOTS - 1);
  while (arts->slots[slot] && strcmp(arts->list[arts->slots[slot] - 1].id, id)) slot = (slot + 1) & (ARTIFACT_SLOTS - 1);
  size_t i;
  if (arts->slots[slot]) {
    i = arts->slots[slot] - 1u;
    free(id);
    if (!append) arts->list[i].text.len = 0;
  } else {
    if (arts->len >= CAXTON_A2A_MAX_ARTIFACTS) {
      free(id);
      return 1;
    }
    if (arts->len == arts->cap) {
      size_t cap = arts->cap ? arts->cap * 2 : 8;
      artifact *grown = realloc(arts->list, cap * sizeof *grown);
      if (!grown) {
        free(id);
        return -1;
      }
      arts->list = grown;
      arts->cap = cap;
    }
    i = arts->len++;
    arts->list[i] = (artifact){ id, { 0 } };
    arts->slots[slot] = (uint16_t)(i + 1);
  }
  parts_text(&arts->list[i].text, d, cx_json_get(d, a, "parts"));
  return arts->list[i].text.oom ? -1 : 0;
}

/* set_artifact's outcome as the fold's: 0, or -1 with the error (the task freed when out of memory). */
static int artifact_set(int set, caxton_a2a_result *task, caxton_a2a_error *err) {
  if (set > 0) return fail(err, CAXTON_A2A_MALFORMED, TOO_MANY_ARTIFACTS);
  return set < 0 ? oom(task, err) : 0;
}

/* The next server-sent event's data (its data: lines joined by newlines) into *ev; false at the end. */
static bool next_event(caxton_str body, size_t *at, buf *ev) {
  ev->len = 0;
  if (ev->p) ev->p[0] = 0;
  while (*at < body.len) {
    size_t start = *at, end = start;
    while (end < body.len && body.ptr[end] != '\n') end++;
    *at = end < body.len ? end + 1 : end;
    size_t len = end - start;
    if (len && body.ptr[start + len - 1] == '\r') len--;
    if (len == 0) {
      if (ev->len) return true;
      continue;
    }
    if (len >= 5 && memcmp(body.ptr + start, "data:", 5) == 0) {
      size_t skip = len > 5 && body.ptr[start + 5] == ' ' ? 6 : 5;
      if (ev->len) buf_add(ev, "\n", 1); /* a second data line of the same event */
      buf_add(ev, body.ptr + start + skip, len - skip);
    }
  }
  return ev->len > 0;
}

int caxton_a2a_result_from_sse(caxton_str body, caxton_a2a_result *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_result){ 0 };
  /* Count the events first: a stream of more than CAXTON_A2A_MAX_EVENTS is refused before any is read. */
  size_t events = 0, at = 0;
  buf ev = { 0 };
  while (next_event(body, &at, &ev)) events++;
  if (events > CAXTON_A2A_MAX_EVENTS) {
    free(ev.p);
    return fail(err, CAXTON_A2A_MALFORMED, "the stream has %zu events, more than %d", events, CAXTON_A2A_MAX_EVENTS);
  }
  caxton_a2a_result task = { .is_task = true }, message = { 0 };
  bool have_task = false, have_message = false;
  artifacts arts = { 0 };
  buf status_text = { 0 };
  int rc = 0;
  at = 0;
  while (rc == 0 && next_event(body, &at, &ev)) {
    cx_json d;
    if (read_json((caxton_str){ ev.p, ev.len }, "an event", &d, err)) {
      rc = -1;
      break;
    }
    int r = cx_json_typed(&d, 0, "result", CX_JSON_OBJECT);
    if (d.toks[0].type != CX_JSON_OBJECT || !cx_json_str_is(&d, cx_json_get(&d, 0, "jsonrpc"), "2.0")) {
      rc = fail(err, CAXTON_A2A_MALFORMED, "an event is not a JSON-RPC 2.0 response");
    } else if (cx_json_typed(&d, 0, "error", CX_JSON_OBJECT) >= 0) {
      rc = rpc_error(&d, cx_json_get(&d, 0, "error"), err);
    } else if (r < 0) {
      rc = fail(err, CAXTON_A2A_MALFORMED, "an event has no result");
    } else {
      /* 1.0: {task} | {message} | {statusUpdate} | {artifactUpdate}; 0.3: the object with `kind`. */
      int kind = cx_json_get(&d, r, "kind");
      int t = cx_json_typed(&d, r, "task", CX_JSON_OBJECT);
      if (t < 0 && cx_json_str_is(&d, kind, "task")) t = r;
      int m = cx_json_typed(&d, r, "message", CX_JSON_OBJECT);
      if (m < 0 && cx_json_str_is(&d, kind, "message")) m = r;
      int su = cx_json_typed(&d, r, "statusUpdate", CX_JSON_OBJECT);
      if (su < 0 && cx_json_str_is(&d, kind, "status-update")) su = r;
      int au = cx_json_typed(&d, r, "artifactUpdate", CX_JSON_OBJECT);
      if (au < 0 && cx_json_str_is(&d, kind, "artifact-update")) au = r;
      if (t >= 0) {
        have_task = true;
        free(task.task_id);
        free(task.context_id);
        int id = cx_json_typed(&d, t, "id", CX_JSON_STRING);
        task.task_id = id >= 0 ? cx_json_string(&d, id) : calloc(1, 1);
        task.context_id = opt_string(&d, t, "contextId");
        int list = cx_json_typed(&d, t, "artifacts", CX_JSON_ARRAY);
        if (too_many_artifacts(&d, list)) rc = fail(err, CAXTON_A2A_MALFORMED, TOO_MANY_ARTIFACTS);
        else if (list >= 0) {
          for (uint32_t i = (uint32_t)list + 1; i < d.toks[list].next && rc == 0; i = d.toks[i].next) {
            if (d.toks[i].type == CX_JSON_OBJECT) rc = artifact_set(set_artifact(&arts, &d, (int)i, false), &task, err);
          }
        }
        int status = cx_json_typed(&d, t, "status", CX_JSON_OBJECT);
        if (status >= 0) {
          if (push_state(&task, state_name(&d, cx_json_get(&d, status, "state")))) rc = oom(&task, err);
          status_text.len = 0;
          if (status_text.p) status_text.p[0] = 0;
          parts_text(&status_text, &d, status_message_parts(&d, status));
        }
      } else if (m >= 0) {
        caxton_a2a_result_free(&message);
        have_message = true;
        rc = message_result(&d, m, &message, err);
      } else if (su >= 0 && cx_json_typed(&d, su, "status", CX_JSON_OBJECT) >= 0) {
        int status = cx_json_get(&d, su, "status");
        if (push_state(&task, state_name(&d, cx_json_get(&d, status, "state")))) rc = oom(&task, err);
        buf text = { 0 };
        parts_text(&text, &d, status_message_parts(&d, status));
        if (text.len) {
          status_text.len = 0;
          buf_add(&status_text, text.p, text.len);
        }
        free(text.p);
      } else if (au >= 0) {
        int a = cx_json_typed(&d, au, "artifact", CX_JSON_OBJECT);
        int append = cx_json_get(&d, au, "append");
        if (a >= 0) rc = artifact_set(set_artifact(&arts, &d, a, append >= 0 && d.toks[append].type == CX_JSON_TRUE), &task, err);
      }
    }
    cx_json_free(&d);
  }
  free(ev.p);
  if (rc == 0 && have_task) {
    buf text = { 0 };
    for (size_t i = 0; i < arts.len; i++) {
      if (!arts.list[i].text.len) continue;
      if (text.len) buf_add(&text, "\n", 1);
      buf_add(&text, arts.list[i].text.p, arts.list[i].text.len);
    }
    if (!text.len && status_text.len) buf_add(&text, status_text.p, status_text.len);
    *out = task;
    task = (caxton_a2a_result){ 0 };
    out->state = strdup(out->states_len ? out->states[out->states_len - 1] : "unknown");
    out->is_final = is_final(out->state);
    out->text = buf_take(&text, &out->text_len);
    if (!out->text || !out->state || !out->task_id) rc = oom(out, err);
  } else if (rc == 0 && have_message) {
    *out = message;
    message = (caxton_a2a_result){ 0 };
  } else if (rc == 0) {
    rc = fail(err, CAXTON_A2A_MALFORMED, "the stream carried neither a Task nor a Message");
  }
  caxton_a2a_result_free(&task);
  caxton_a2a_result_free(&message);
  artifacts_free(&arts);
  free(status_text.p);
  return rc;
}

int caxton_a2a_result_from_http(const caxton_http_response *r, bool stream, caxton_a2a_result *out, caxton_a2a_error *err) {
  *out = (caxton_a2a_result){ 0 };
  if (r->status == 0) {
    caxton_str f = r->failure.ptr ? r->failure : CAXTON_STR("unknown");
    fail(err, CAXTON_A2A_NO_RESPONSE, "no response: %.*s", prefix_len(f, 120), f.ptr);
    if (err) cx_utf8_end_cut(err->failure, sizeof err->failure, snprintf(err->failure, sizeof err->failure, "%.*s", prefix_len(f, 60), f.ptr));
    return -1;
  }
  if (r->body_base64) return fail(err, CAXTON_A2A_MALFORMED, "the answer is not text");
  if (r->status < 200 || r->status > 299) {
    caxton_a2a_result ignored;
    caxton_a2a_error e = { .kind = CAXTON_A2A_REFUSED };
    caxton_str body = r->body.ptr ? r->body : CAXTON_STR("");
    /* A JSON-RPC error in the body says why better than the body itself. */
    if (caxton_a2a_result_from_body(body, &ignored, &e) == 0) caxton_a2a_result_free(&ignored);
    if (e.kind == CAXTON_A2A_RPC_ERROR) fail(err, CAXTON_A2A_HTTP_STATUS, "HTTP %d: %s", r->status, e.reason);
    else fail(err, CAXTON_A2A_HTTP_STATUS, "HTTP %d: %.*s", r->status, prefix_len(body, 200), body.ptr);
    if (err) err->status = r->status;
    return -1;
  }
  caxton_str body = r->body.ptr ? r->body : CAXTON_STR("");
  return stream ? caxton_a2a_result_from_sse(body, out, err) : caxton_a2a_result_from_body(body, out, err);
}

bool caxton_a2a_response_of(const caxton_message *m, caxton_a2a_response *out) {
  caxton_http_response r;
  if (!caxton_http_response_of(m, &r) || !r.context.ptr) return false;
  bool stream = caxton_str_starts_with(r.context, STREAM_MARK);
  if (!stream && !caxton_str_starts_with(r.context, MARK)) return false;
  size_t skip = stream ? strlen(STREAM_MARK) : strlen(MARK);
  *out = (caxton_a2a_response){ 0 };
  out->request_id = r.request_id;
  out->context = (caxton_str){ r.context.ptr + skip, r.context.len - skip };
  out->ok = caxton_a2a_result_from_http(&r, stream, &out->result, &out->error) == 0;
  return true;
}

void caxton_a2a_response_free(caxton_a2a_response *r) {
  caxton_a2a_result_free(&r->result);
}
