/*
 * caxton:agent/state for C on the generated bindings (decision 2204). What the host hands back (a
 * value, keys, a refusal's message) is the call's memory: freed once the handler returns.
 */
#include "wit.h"

const char *caxton_state_error_kind_name(uint8_t kind) {
  static const char *names[] = { "invalid-key", "value-too-large", "quota-exceeded", "read-only" };
  return kind < 4 ? names[kind] : "unknown";
}

bool caxton_state_get(caxton_str key, caxton_str *value) {
  caxton_wit_string_t k = cx_wit_str(key), v;
  bool some = caxton_agent_state_get(&k, &v);
  if (some) cx_own_str(v);
  if (value) *value = some ? cx_str(v) : CAXTON_NONE;
  return some;
}

/* A refused write: its message is the call's, and the caller may not want the error. */
static int refused(caxton_agent_state_state_error_t e, caxton_state_error *error) {
  cx_own_str(e.message);
  if (error) *error = (caxton_state_error){ e.kind, cx_str(e.message) };
  return -1;
}

int caxton_state_set(caxton_str key, caxton_str value, caxton_state_error *error) {
  caxton_wit_string_t k = cx_wit_str(key), v = cx_wit_str(value);
  caxton_agent_state_state_error_t e;
  return caxton_agent_state_set(&k, &v, &e) ? 0 : refused(e, error);
}

int caxton_state_delete(caxton_str key, caxton_state_error *error) {
  caxton_wit_string_t k = cx_wit_str(key);
  caxton_agent_state_state_error_t e;
  return caxton_agent_state_delete(&k, &e) ? 0 : refused(e, error);
}

caxton_str_list caxton_state_keys(caxton_str prefix, caxton_str start_after, uint32_t limit) {
  caxton_wit_string_t p = cx_wit_str(prefix), after = cx_wit_str(start_after);
  caxton_wit_list_string_t keys;
  caxton_agent_state_keys(&p, start_after.ptr ? &after : NULL, limit, &keys);
  cx_own_strs(keys);
  return (caxton_str_list){ (caxton_str *)keys.ptr, keys.len };
}
