/*
 * caxton:agent/state for C. Core signatures (strings flatten to ptr, len; results and options
 * come back through a return area):
 *   get(key) -> option<string>                  (ptr, len, ret) ret: disc u8 @0, string @4
 *   set(key, value) -> result<_, state-error>   (4 values, ret) ret: disc @0, kind @4, message @8
 *   delete(key) -> result<_, state-error>       (ptr, len, ret)
 *   keys(prefix, option<string>, u32) -> list<string>   (ptr, len, disc, ptr, len, limit, ret)
 * What the host allocates for the results is per-call memory (freed after the handler returns).
 */
#include <stddef.h>

#include "caxton.h"

#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(caxton_state_error) == 12 && offsetof(caxton_state_error, message) == 4);

/* result<_, state-error> */
typedef struct state_result {
  uint8_t is_err;
  caxton_state_error err;
} state_result;
CHECK(sizeof(state_result) == 16 && offsetof(state_result, err) == 4);

#define STATE(name) __attribute__((import_module("caxton:agent/state@0.1.0"), import_name(name)))

STATE("get") void state_get(const char *ptr, size_t len, caxton_opt_str *ret);
STATE("set") void state_set(const char *key, size_t key_len, const char *value, size_t value_len, state_result *ret);
STATE("delete") void state_delete(const char *ptr, size_t len, state_result *ret);
STATE("keys") void state_keys(const char *prefix, size_t prefix_len, uint32_t after_some, const char *after,
                              size_t after_len, uint32_t limit, caxton_str_list *ret);

static caxton_str nonnull(caxton_str s) { return s.ptr ? s : (caxton_str){ "", 0 }; }

const char *caxton_state_error_kind_name(uint8_t kind) {
  static const char *names[] = { "invalid-key", "value-too-large", "quota-exceeded", "read-only" };
  return kind < 4 ? names[kind] : "unknown";
}

bool caxton_state_get(caxton_str key, caxton_str *value) {
  caxton_opt_str ret;
  key = nonnull(key);
  state_get(key.ptr, key.len, &ret);
  if (value) *value = ret.is_some ? ret.val : CAXTON_NONE;
  return ret.is_some;
}

static int lift(const state_result *r, caxton_state_error *error) {
  if (!r->is_err) return 0;
  if (error) *error = r->err;
  return -1;
}

int caxton_state_set(caxton_str key, caxton_str value, caxton_state_error *error) {
  state_result r;
  key = nonnull(key);
  value = nonnull(value);
  state_set(key.ptr, key.len, value.ptr, value.len, &r);
  return lift(&r, error);
}

int caxton_state_delete(caxton_str key, caxton_state_error *error) {
  state_result r;
  key = nonnull(key);
  state_delete(key.ptr, key.len, &r);
  return lift(&r, error);
}

caxton_str_list caxton_state_keys(caxton_str prefix, caxton_str start_after, uint32_t limit) {
  caxton_str_list ret;
  prefix = nonnull(prefix);
  state_keys(prefix.ptr, prefix.len, start_after.ptr != NULL, start_after.ptr ? start_after.ptr : "", start_after.len, limit, &ret);
  return ret;
}
