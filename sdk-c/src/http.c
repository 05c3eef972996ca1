/*
 * caxton:agent/http for C. The request record flattens to 14 core values (method, url, headers:
 * 2 each; body: disc, ptr, len; timeout-ms: disc, value; context: disc, ptr, len), within the 16
 * a call passes flat; result<string, http-error> comes back through a 16-byte return area:
 * disc u8 @0, then the id string @4 or the error record (kind @4, message @8).
 */
#include <stddef.h>
#include <string.h>

#include "caxton.h"

#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(caxton_http_error) == 12 && offsetof(caxton_http_error, message) == 4);
CHECK(sizeof(caxton_opt_u32) == 8 && offsetof(caxton_opt_u32, val) == 4);

typedef struct fetch_result {
  uint8_t is_err;
  union {
    caxton_str id;
    caxton_http_error err;
  } val;
} fetch_result;
CHECK(sizeof(fetch_result) == 16 && offsetof(fetch_result, val) == 4);

__attribute__((import_module("caxton:agent/http@0.1.0"), import_name("fetch")))
void http_fetch(const char *method, size_t method_len, const char *url, size_t url_len,
                const caxton_pair *headers, size_t headers_len,
                uint32_t body_some, const char *body, size_t body_len,
                uint32_t timeout_some, uint32_t timeout_ms,
                uint32_t context_some, const char *context, size_t context_len,
                fetch_result *ret);

static caxton_str nonnull(caxton_str s) { return s.ptr ? s : (caxton_str){ "", 0 }; }

const char *caxton_http_error_kind_name(uint8_t kind) {
  static const char *names[] = { "denied", "invalid-request", "quota-exceeded" };
  return kind < 3 ? names[kind] : "unknown";
}

int caxton_http_fetch(const caxton_http_request *r, caxton_str *id, caxton_http_error *error) {
  fetch_result ret;
  caxton_str method = nonnull(r->method), url = nonnull(r->url);
  caxton_str body = nonnull(r->body.val), context = nonnull(r->context.val);
  http_fetch(method.ptr, method.len, url.ptr, url.len, r->headers.ptr, r->headers.len,
             r->body.is_some, body.ptr, body.len,
             r->timeout_ms.is_some, r->timeout_ms.is_some ? r->timeout_ms.val : 0,
             r->context.is_some, context.ptr, context.len, &ret);
  if (!ret.is_err) {
    if (id) *id = ret.val.id;
    return 0;
  }
  if (error) *error = ret.val.err;
  return -1;
}

bool caxton_http_response_of(const caxton_message *m, caxton_http_response *out) {
  if (!m->sender.is_some || !caxton_str_starts_with(m->sender.val.name, "http@")) return false;
  caxton_http_response r = { 0 };
  if (m->performative == CAXTON_INFORM) {
    caxton_str status = caxton_user_param(m, "X-caxton-http-status");
    for (size_t i = 0; i < status.len && status.ptr[i] >= '0' && status.ptr[i] <= '9'; i++) {
      r.status = r.status * 10 + (status.ptr[i] - '0');
    }
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
