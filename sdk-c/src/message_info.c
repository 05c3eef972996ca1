/*
 * caxton:agent/message-info for C (decision 2001). Core signatures:
 *   receiver-count() -> u32
 *   receivers(offset: u32, limit: u32) -> result<list<agent-id>, message-info-error>   (offset, limit, ret)
 *   ret: disc u8 @0, then the list (ptr, len) @4 or the error { kind u8 @4, message @8 } (16 bytes)
 * What the host hands over is per-call memory (freed after the handler returns).
 */
#include <stddef.h>

#include "caxton.h"

#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(caxton_message_info_error) == 12 && offsetof(caxton_message_info_error, message) == 4);
CHECK(sizeof(caxton_agent_id) == 16 && sizeof(caxton_agent_id_list) == 8);

/* result<list<agent-id>, message-info-error> */
typedef struct receivers_result {
  uint8_t is_err;
  union {
    caxton_agent_id_list ok;
    caxton_message_info_error err;
  } val;
} receivers_result;
CHECK(sizeof(receivers_result) == 16 && offsetof(receivers_result, val) == 4);

#define MESSAGE_INFO(name) __attribute__((import_module("caxton:agent/message-info@0.1.0"), import_name(name)))

MESSAGE_INFO("receiver-count") uint32_t message_info_receiver_count(void);
MESSAGE_INFO("receivers") void message_info_receivers(uint32_t offset, uint32_t limit, receivers_result *ret);

const char *caxton_message_info_error_kind_name(uint8_t kind) {
  static const char *names[] = { "no-message", "invalid-range" };
  return kind < 2 ? names[kind] : "unknown";
}

uint32_t caxton_receiver_count(void) { return message_info_receiver_count(); }

int caxton_receivers(uint32_t offset, uint32_t limit, caxton_agent_id_list *out, caxton_message_info_error *error) {
  receivers_result r;
  message_info_receivers(offset, limit, &r);
  if (r.is_err) {
    if (error) *error = r.val.err;
    return -1;
  }
  if (out) *out = r.val.ok;
  return 0;
}
