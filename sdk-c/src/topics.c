/*
 * caxton:agent/topics for C (decision 1961). Core signatures (strings flatten to ptr, len; the
 * option to disc, ptr, len; results come back through a return area):
 *   subscribe(topic, option<string>) -> result<_, topic-error>   (ptr, len, disc, ptr, len, ret)
 *   unsubscribe(topic) -> result<_, topic-error>                 (ptr, len, ret)
 *   ret: disc u8 @0, kind u8 @4, message @8 (16 bytes)
 * The message of a refusal is per-call memory (freed after the handler returns).
 */
#include <stddef.h>

#include "caxton.h"

#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(caxton_topic_error) == 12 && offsetof(caxton_topic_error, message) == 4);

/* result<_, topic-error> */
typedef struct topic_result {
  uint8_t is_err;
  caxton_topic_error err;
} topic_result;
CHECK(sizeof(topic_result) == 16 && offsetof(topic_result, err) == 4);

#define TOPICS(name) __attribute__((import_module("caxton:agent/topics@0.1.0"), import_name(name)))

TOPICS("subscribe") void topics_subscribe(const char *topic, size_t topic_len, uint32_t filter_some, const char *filter,
                                          size_t filter_len, topic_result *ret);
TOPICS("unsubscribe") void topics_unsubscribe(const char *topic, size_t topic_len, topic_result *ret);

static caxton_str nonnull(caxton_str s) { return s.ptr ? s : (caxton_str){ "", 0 }; }

const char *caxton_topic_error_kind_name(uint8_t kind) {
  static const char *names[] = { "invalid-name", "invalid-filter", "quota-exceeded" };
  return kind < 3 ? names[kind] : "unknown";
}

static int lift(const topic_result *r, caxton_topic_error *error) {
  if (!r->is_err) return 0;
  if (error) *error = r->err;
  return -1;
}

int caxton_topics_subscribe(caxton_str topic, caxton_str filter, caxton_topic_error *error) {
  topic_result r;
  topic = nonnull(topic);
  topics_subscribe(topic.ptr, topic.len, filter.ptr != NULL, filter.ptr ? filter.ptr : "", filter.ptr ? filter.len : 0, &r);
  return lift(&r, error);
}

int caxton_topics_unsubscribe(caxton_str topic, caxton_topic_error *error) {
  topic_result r;
  topic = nonnull(topic);
  topics_unsubscribe(topic.ptr, topic.len, &r);
  return lift(&r, error);
}
