/*
 * caxton:agent/message-info for C on the generated bindings (decisions 2001, 2204). What the host
 * hands over is the call's memory: freed once the handler returns.
 */
#include "wit.h"

const char *caxton_message_info_error_kind_name(uint8_t kind) {
  static const char *names[] = { "no-message", "invalid-range" };
  return kind < 2 ? names[kind] : "unknown";
}

uint32_t caxton_receiver_count(void) { return caxton_agent_message_info_receiver_count(); }

int caxton_receivers(uint32_t offset, uint32_t limit, caxton_agent_id_list *out, caxton_message_info_error *error) {
  caxton_agent_message_info_list_agent_id_t ids;
  caxton_agent_message_info_message_info_error_t e;
  if (!caxton_agent_message_info_receivers(offset, limit, &ids, &e)) {
    cx_own_str(e.message);
    if (error) *error = (caxton_message_info_error){ e.kind, cx_str(e.message) };
    return -1;
  }
  cx_own_ids((caxton_agent_types_list_agent_id_t){ ids.ptr, ids.len });
  if (out) *out = (caxton_agent_id_list){ (caxton_agent_id *)ids.ptr, ids.len };
  return 0;
}
