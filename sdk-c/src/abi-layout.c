/*
 * caxton.h's types are the generated bindings' (decision 2204): abi.c and the interface files pass
 * them to bindings.c by a cast, so every field must be where the WIT puts it and every enum must
 * have the WIT's values. Checked here when the SDK compiles; a WIT change that moves one fails
 * the build, not an agent at run time. Nothing here makes code.
 */
#include <stddef.h>

#include "wit.h"

#define SAME(a, b) _Static_assert(sizeof(a) == sizeof(b) && _Alignof(a) == _Alignof(b), #a " is laid out as " #b)
#define AT(a, fa, b, fb) _Static_assert(offsetof(a, fa) == offsetof(b, fb), #a "." #fa " is at " #b "." #fb)
#define FIELD(a, b, f) AT(a, f, b, f)
#define EQ(ours, wit) _Static_assert((ours) == (wit), #ours " is the WIT's " #wit)

SAME(caxton_str, caxton_wit_string_t);
FIELD(caxton_str, caxton_wit_string_t, ptr);
FIELD(caxton_str, caxton_wit_string_t, len);
SAME(caxton_str_list, caxton_wit_list_string_t);
FIELD(caxton_str_list, caxton_wit_list_string_t, len);
SAME(caxton_pair, caxton_wit_tuple2_string_string_t);
AT(caxton_pair, key, caxton_wit_tuple2_string_string_t, f0);
AT(caxton_pair, value, caxton_wit_tuple2_string_string_t, f1);
SAME(caxton_pair_list, caxton_wit_list_tuple2_string_string_t);
FIELD(caxton_pair_list, caxton_wit_list_tuple2_string_string_t, len);
SAME(caxton_opt_str, caxton_wit_option_string_t);
FIELD(caxton_opt_str, caxton_wit_option_string_t, val);
SAME(caxton_opt_u64, caxton_wit_option_u64_t);
FIELD(caxton_opt_u64, caxton_wit_option_u64_t, val);
SAME(caxton_opt_u32, caxton_wit_option_u32_t);
FIELD(caxton_opt_u32, caxton_wit_option_u32_t, val);

SAME(caxton_agent_id, caxton_agent_types_agent_id_t);
FIELD(caxton_agent_id, caxton_agent_types_agent_id_t, name);
FIELD(caxton_agent_id, caxton_agent_types_agent_id_t, addresses);
SAME(caxton_agent_id_list, caxton_agent_types_list_agent_id_t);
SAME(caxton_agent_id_list, caxton_agent_host_list_agent_id_t);
SAME(caxton_agent_id_list, caxton_agent_message_info_list_agent_id_t);
SAME(caxton_opt_agent_id, caxton_agent_types_option_agent_id_t);
FIELD(caxton_opt_agent_id, caxton_agent_types_option_agent_id_t, val);

#define MESSAGE_FIELDS(X)                                                                             \
  X(performative) X(sender) X(receivers) X(reply_to) X(content) X(language) X(encoding) X(ontology) \
  X(protocol) X(conversation_id) X(reply_with) X(in_reply_to) X(reply_by) X(user_params)
#define MESSAGE_FIELD(f) FIELD(caxton_message, caxton_agent_types_acl_message_t, f);
SAME(caxton_message, caxton_agent_types_acl_message_t);
MESSAGE_FIELDS(MESSAGE_FIELD)

#define SERVICE_FIELDS(X) X(name) X(type) X(protocols) X(ontologies) X(languages) X(properties)
#define SERVICE_FIELD(f) FIELD(caxton_service, caxton_agent_types_service_description_t, f);
SAME(caxton_service, caxton_agent_types_service_description_t);
SERVICE_FIELDS(SERVICE_FIELD)

SAME(caxton_init_context, caxton_agent_types_init_context_t);
FIELD(caxton_init_context, caxton_agent_types_init_context_t, self);
FIELD(caxton_init_context, caxton_agent_types_init_context_t, config);

#define REQUEST_FIELDS(X) X(method) X(url) X(headers) X(body) X(timeout_ms) X(context)
#define REQUEST_FIELD(f) FIELD(caxton_http_request, caxton_agent_http_request_t, f);
SAME(caxton_http_request, caxton_agent_http_request_t);
REQUEST_FIELDS(REQUEST_FIELD)

/* The error records: { kind, message }. */
#define ERROR_RECORD(ours, wit) SAME(ours, wit); FIELD(ours, wit, kind); FIELD(ours, wit, message);
ERROR_RECORD(caxton_state_error, caxton_agent_state_state_error_t)
ERROR_RECORD(caxton_topic_error, caxton_agent_topics_topic_error_t)
ERROR_RECORD(caxton_message_info_error, caxton_agent_message_info_message_info_error_t)
ERROR_RECORD(caxton_http_error, caxton_agent_http_http_error_t)

#define PERFORMATIVES(X)                                                                              \
  X(ACCEPT_PROPOSAL) X(AGREE) X(CANCEL) X(CFP) X(CONFIRM) X(DISCONFIRM) X(FAILURE) X(INFORM)          \
  X(INFORM_IF) X(INFORM_REF) X(NOT_UNDERSTOOD) X(PROPAGATE) X(PROPOSE) X(PROXY) X(QUERY_IF)           \
  X(QUERY_REF) X(REFUSE) X(REJECT_PROPOSAL) X(REQUEST) X(REQUEST_WHEN) X(REQUEST_WHENEVER) X(SUBSCRIBE)
#define PERFORMATIVE(n) EQ(CAXTON_##n, CAXTON_AGENT_TYPES_PERFORMATIVE_##n);
PERFORMATIVES(PERFORMATIVE)
EQ(CAXTON_PERFORMATIVE_COUNT, CAXTON_AGENT_TYPES_PERFORMATIVE_SUBSCRIBE + 1);

#define LEVEL(n) EQ(CAXTON_LOG_##n, CAXTON_AGENT_TYPES_LOG_LEVEL_##n);
LEVEL(TRACE) LEVEL(DEBUG) LEVEL(INFO) LEVEL(WARN) LEVEL(ERROR)

#define STATE_KIND(n) EQ(CAXTON_STATE_##n, CAXTON_AGENT_STATE_STATE_ERROR_KIND_##n);
STATE_KIND(INVALID_KEY) STATE_KIND(VALUE_TOO_LARGE) STATE_KIND(QUOTA_EXCEEDED) STATE_KIND(READ_ONLY)
#define TOPIC_KIND(n) EQ(CAXTON_TOPIC_##n, CAXTON_AGENT_TOPICS_TOPIC_ERROR_KIND_##n);
TOPIC_KIND(INVALID_NAME) TOPIC_KIND(INVALID_FILTER) TOPIC_KIND(QUOTA_EXCEEDED)
#define INFO_KIND(n) EQ(CAXTON_MESSAGE_INFO_##n, CAXTON_AGENT_MESSAGE_INFO_MESSAGE_INFO_ERROR_KIND_##n);
INFO_KIND(NO_MESSAGE) INFO_KIND(INVALID_RANGE)
#define HTTP_KIND(n) EQ(CAXTON_HTTP_##n, CAXTON_AGENT_HTTP_HTTP_ERROR_KIND_##n);
HTTP_KIND(DENIED) HTTP_KIND(INVALID_REQUEST) HTTP_KIND(QUOTA_EXCEEDED)
