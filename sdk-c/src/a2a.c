/*
 * caxton:agent/a2a for C (decision 2193) on the generated bindings (decision 2204): the C twin of
 * @caxton/sdk-js/a2a. The host builds the A2A JSON-RPC request and reads the answer; this file
 * only passes the call and reads the answer message's parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wit.h"


static const char *const KINDS[] = { "refused", "no-response", "http-status", "rpc-error", "malformed" };

const char *caxton_a2a_error_kind_name(uint8_t kind) { return kind < 5 ? KINDS[kind] : "unknown"; }

/* *err = kind with a formatted reason, never ending inside a UTF-8 character; returns -1. */
static int fail(caxton_a2a_error *err, uint8_t kind, const char *fmt, ...) {
  if (err) {
    *err = (caxton_a2a_error){ .kind = kind };
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    cx_utf8_end_cut(err->reason, sizeof err->reason, n);
  }
  return -1;
}

/* s copied into buf[cap], NUL-terminated, cut between characters when it does not fit. */
static void copy_cut(char *buf, size_t cap, caxton_str s) {
  size_t n = s.len < cap - 1 ? s.len : cx_utf8_whole(s.ptr, cap - 1);
  if (n) memcpy(buf, s.ptr, n);
  buf[n] = 0;
}

static int start(caxton_agent_a2a_operation_t op, caxton_str url, caxton_str version, caxton_str subject, caxton_str context_id, caxton_pair_list headers,
                 caxton_str token, caxton_opt_u32 timeout_ms, caxton_str context, caxton_str *id, caxton_a2a_error *err) {
  caxton_agent_a2a_protocol_version_t v;
  if (!version.ptr || caxton_str_eq_c(version, "1.0")) v = CAXTON_AGENT_A2A_PROTOCOL_VERSION_V1;
  else if (caxton_str_eq_c(version, "0.3")) v = CAXTON_AGENT_A2A_PROTOCOL_VERSION_V03;
  else return fail(err, CAXTON_A2A_REFUSED, "invalid-request: the A2A version must be 1.0 or 0.3, got %.*s", (int)cx_utf8_whole(version.ptr, version.len < 20 ? version.len : 20), version.ptr);
  /* A token is one more header, authorization: Bearer <token>: the headers and it in one block. */
  caxton_pair *sent = headers.ptr, *block = NULL;
  size_t sent_len = headers.len;
  if (token.ptr) {
    /* Sizes come from the caller: refuse what would wrap rather than allocate too little. */
    if (token.len >= SIZE_MAX / 2 || headers.len >= (SIZE_MAX - 7 - token.len) / sizeof *sent - 1)
      return fail(err, CAXTON_A2A_REFUSED, "quota-exceeded: too many headers or too long a token");
    if (!(sent = block = malloc((headers.len + 1) * sizeof *sent + 7 + token.len)))
      return fail(err, CAXTON_A2A_REFUSED, "quota-exceeded: out of memory building the call");
    char *bearer = (char *)(sent + headers.len + 1);
    memcpy(bearer, "Bearer ", 7);
    if (token.len) memcpy(bearer + 7, token.ptr, token.len);
    if (headers.len) memcpy(sent, headers.ptr, headers.len * sizeof *sent);
    sent[sent_len++] = (caxton_pair){ CAXTON_STR("authorization"), { bearer, token.len + 7 } };
  }
  caxton_agent_a2a_call_t call = {
    .operation = op,
    .url = cx_wit_str(url),
    .version = v,
    .subject = cx_wit_str(subject),
    .context_id = { context_id.ptr != NULL, cx_wit_str(context_id) },
    .headers = { (caxton_wit_tuple2_string_string_t *)sent, sent_len },
    .timeout_ms = { timeout_ms.is_some, timeout_ms.val },
    .context = { context.ptr != NULL, cx_wit_str(context) },
  };
  caxton_wit_string_t started;
  caxton_agent_a2a_http_error_t e;
  bool ok = caxton_agent_a2a_start(&call, &started, &e);
  free(block);
  if (ok) {
    cx_own_str(started);
    if (id) *id = cx_str(started);
    return 0;
  }
  fail(err, CAXTON_A2A_REFUSED, "%s: %.*s", caxton_http_error_kind_name(e.kind), (int)e.message.len, (const char *)e.message.ptr);
  caxton_wit_string_free(&e.message); /* copied into err->reason */
  return -1;
}

int caxton_a2a_send(const caxton_a2a_call *c, caxton_str *id, caxton_a2a_error *err) {
  return start(CAXTON_AGENT_A2A_OPERATION_SEND, c->url, c->version, c->text, c->context_id, c->headers, c->token, c->timeout_ms, c->context, id, err);
}

int caxton_a2a_stream(const caxton_a2a_call *c, caxton_str *id, caxton_a2a_error *err) {
  return start(CAXTON_AGENT_A2A_OPERATION_STREAM, c->url, c->version, c->text, c->context_id, c->headers, c->token, c->timeout_ms, c->context, id, err);
}

int caxton_a2a_get(const caxton_a2a_task_call *c, caxton_str *id, caxton_a2a_error *err) {
  return start(CAXTON_AGENT_A2A_OPERATION_GET_TASK, c->url, c->version, c->task_id, CAXTON_NONE, c->headers, c->token, c->timeout_ms, c->context, id, err);
}

int caxton_a2a_cancel(const caxton_a2a_task_call *c, caxton_str *id, caxton_a2a_error *err) {
  return start(CAXTON_AGENT_A2A_OPERATION_CANCEL_TASK, c->url, c->version, c->task_id, CAXTON_NONE, c->headers, c->token, c->timeout_ms, c->context, id, err);
}

/* ---- reading answers -------------------------------------------------------------------------- */

static void read_error(const caxton_message *m, caxton_str kind, caxton_a2a_error *e) {
  *e = (caxton_a2a_error){ .kind = CAXTON_A2A_MALFORMED }; /* a kind this SDK does not know reads as malformed */
  for (uint8_t k = CAXTON_A2A_NO_RESPONSE; k <= CAXTON_A2A_MALFORMED; k++) {
    if (caxton_str_eq_c(kind, KINDS[k])) e->kind = k;
  }
  copy_cut(e->reason, sizeof e->reason, cx_nonnull(caxton_opt(m->content)));
  long long v;
  if (e->kind == CAXTON_A2A_HTTP_STATUS) e->status = cx_http_status(m);
  if (cx_integer(caxton_user_param(m, "X-caxton-a2a-code"), &v)) {
    e->code = v;
    e->has_code = true;
  }
  copy_cut(e->failure, sizeof e->failure, cx_nonnull(caxton_user_param(m, "X-caxton-failure")));
}

/* X-caxton-a2a-states, split at its commas into a malloc'd list pointing into the message. */
static bool read_states(caxton_str states, caxton_str_list *out) {
  *out = (caxton_str_list){ NULL, 0 };
  if (!states.len) return true;
  size_t n = 1;
  for (size_t i = 0; i < states.len; i++) n += states.ptr[i] == ',';
  if (n > SIZE_MAX / sizeof *out->ptr || !(out->ptr = malloc(n * sizeof *out->ptr))) return false;
  size_t from = 0;
  for (size_t i = 0; i <= states.len; i++) {
    if (i == states.len || states.ptr[i] == ',') {
      out->ptr[out->len++] = (caxton_str){ states.ptr + from, i - from };
      from = i + 1;
    }
  }
  return true;
}

bool caxton_a2a_response_of(const caxton_message *m, caxton_a2a_response *out) {
  /* An answer from http@<this agent's platform>: inform or failure, with in-reply-to. */
  if (!m->in_reply_to.is_some || (m->performative != CAXTON_INFORM && m->performative != CAXTON_FAILURE) || !cx_from_own_gateway(m)) return false;
  caxton_str kind = caxton_user_param(m, "X-caxton-a2a-result"), failed = caxton_user_param(m, "X-caxton-a2a-error");
  if (!kind.ptr && !failed.ptr) return false; /* the answer to a plain caxton_http_fetch */
  *out = (caxton_a2a_response){ .request_id = caxton_opt(m->in_reply_to), .context = caxton_user_param(m, "X-caxton-http-context") };
  if (failed.ptr) {
    read_error(m, failed, &out->error);
    return true;
  }
  caxton_a2a_result *r = &out->result;
  r->is_task = caxton_str_eq_c(kind, "task");
  r->context_id = caxton_user_param(m, "X-caxton-a2a-context-id");
  r->text = cx_nonnull(caxton_opt(m->content));
  if (r->is_task) {
    r->task_id = cx_nonnull(caxton_user_param(m, "X-caxton-a2a-task-id"));
    r->state = caxton_user_param(m, "X-caxton-a2a-state");
    if (!r->state.ptr) r->state = CAXTON_STR("unknown");
    r->is_final = caxton_str_eq_c(caxton_user_param(m, "X-caxton-a2a-final"), "true");
  } else {
    r->message_id = caxton_user_param(m, "X-caxton-a2a-message-id");
    r->is_final = true;
  }
  if (!read_states(caxton_user_param(m, "X-caxton-a2a-states"), &r->states)) {
    *r = (caxton_a2a_result){ 0 };
    fail(&out->error, CAXTON_A2A_MALFORMED, "out of memory reading the answer's states");
    return true;
  }
  out->ok = true;
  return true;
}

void caxton_a2a_response_free(caxton_a2a_response *r) {
  free(r->result.states.ptr);
  r->result.states = (caxton_str_list){ NULL, 0 };
}
