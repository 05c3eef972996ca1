/*
 * caxton:agent/http for C on the generated bindings (decisions 1604, 2204), and the reader of the
 * answer messages. The request's id and a refusal's message are the call's memory: freed once the
 * handler returns.
 */
#include <stddef.h>
#include <string.h>

#include "wit.h"

const char *caxton_http_error_kind_name(uint8_t kind) {
  static const char *names[] = { "denied", "invalid-request", "quota-exceeded" };
  return kind < 3 ? names[kind] : "unknown";
}

int caxton_http_fetch(const caxton_http_request *r, caxton_str *id, caxton_http_error *error) {
  caxton_http_request sent = *r;
  sent.method = cx_nonnull(r->method);
  sent.url = cx_nonnull(r->url);
  sent.body.val = cx_nonnull(r->body.val);
  sent.context.val = cx_nonnull(r->context.val);
  caxton_wit_string_t started;
  caxton_agent_http_http_error_t e;
  if (caxton_agent_http_fetch((caxton_agent_http_request_t *)&sent, &started, &e)) {
    cx_own_str(started);
    if (id) *id = cx_str(started);
    return 0;
  }
  cx_own_str(e.message);
  if (error) *error = (caxton_http_error){ e.kind, cx_str(e.message) };
  return -1;
}

/* http@<this agent's platform> (exactly "http@" while its own name has none): never another
   platform's gateway, whose messages can arrive through a transport. */
bool cx_from_own_gateway(const caxton_message *m) {
  if (!m->sender.is_some) return false;
  caxton_str self = caxton_self()->name, name = m->sender.val.name;
  size_t at = self.len; /* just after the last '@'; none: no platform */
  while (at > 0 && self.ptr[at - 1] != '@') at--;
  size_t platform = at ? self.len - at : 0;
  return name.len == 5 + platform && memcmp(name.ptr, "http@", 5) == 0 && (!platform || memcmp(name.ptr + 5, self.ptr + at, platform) == 0);
}

bool cx_integer(caxton_str s, long long *out) {
  size_t i = s.len && s.ptr[0] == '-' ? 1 : 0;
  if (i == s.len || s.len - i > 18) return false;
  long long v = 0;
  for (; i < s.len; i++) {
    if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
    v = v * 10 + (s.ptr[i] - '0');
  }
  *out = s.ptr[0] == '-' ? -v : v;
  return true;
}

int cx_http_status(const caxton_message *m) {
  long long v;
  return cx_integer(caxton_user_param(m, "X-caxton-http-status"), &v) && v >= 0 && v < 1000 ? (int)v : 0;
}

bool caxton_http_response_of(const caxton_message *m, caxton_http_response *out) {
  if (!m->in_reply_to.is_some || !cx_from_own_gateway(m)) return false; /* an answer replies to its call */
  caxton_http_response r = { 0 };
  if (m->performative == CAXTON_INFORM) {
    r.status = cx_http_status(m);
  } else if (m->performative == CAXTON_FAILURE) {
    r.failure = caxton_user_param(m, "X-caxton-failure");
    if (!r.failure.ptr) r.failure = CAXTON_STR("unknown");
  } else {
    return false;
  }
  r.request_id = caxton_opt(m->in_reply_to);
  r.context = caxton_user_param(m, "X-caxton-http-context");
  r.body = caxton_opt(m->content);
  r.body_base64 = caxton_str_eq_c(caxton_opt(m->encoding), "base64");
  if (out) *out = r;
  return true;
}

caxton_str caxton_http_response_header(const caxton_message *m, const char *name) {
  char key[128];
  size_t n = strlen(name);
  if (n + sizeof "X-caxton-http-header-" > sizeof key) return CAXTON_NONE;
  memcpy(key, "X-caxton-http-header-", sizeof "X-caxton-http-header-" - 1);
  memcpy(key + sizeof "X-caxton-http-header-" - 1, name, n + 1);
  return caxton_user_param(m, key);
}
