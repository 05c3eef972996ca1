/*
 * caxton:agent/topics for C on the generated bindings (decisions 1961, 2204). A refusal's message
 * is the call's memory: freed once the handler returns.
 */
#include "wit.h"

const char *caxton_topic_error_kind_name(uint8_t kind) {
  static const char *names[] = { "invalid-name", "invalid-filter", "quota-exceeded" };
  return kind < 3 ? names[kind] : "unknown";
}

static int refused(caxton_agent_topics_topic_error_t e, caxton_topic_error *error) {
  cx_own_str(e.message);
  if (error) *error = (caxton_topic_error){ e.kind, cx_str(e.message) };
  return -1;
}

int caxton_topics_subscribe(caxton_str topic, caxton_str filter, caxton_topic_error *error) {
  caxton_wit_string_t t = cx_wit_str(topic), f = cx_wit_str(filter);
  caxton_agent_topics_topic_error_t e;
  return caxton_agent_topics_subscribe(&t, filter.ptr ? &f : NULL, &e) ? 0 : refused(e, error);
}

int caxton_topics_unsubscribe(caxton_str topic, caxton_topic_error *error) {
  caxton_wit_string_t t = cx_wit_str(topic);
  caxton_agent_topics_topic_error_t e;
  return caxton_agent_topics_unsubscribe(&t, &e) ? 0 : refused(e, error);
}
