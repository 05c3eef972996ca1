/*
 * Caxton agent SDK for C (world `agent` of caxton:agent@0.1.0, wit/agent.wit).
 *
 * Write an agent by defining the handlers you need (all optional; the SDK has defaults):
 *
 *     #include <caxton.h>
 *     void caxton_on_message(const caxton_message *msg) {
 *       caxton_reply(msg, CAXTON_INFORM, caxton_opt(msg->content));
 *     }
 *
 * `caxton build` compiles your sources together with this SDK (clang --target=wasm32-wasi,
 * reactor) and turns the result into a component.
 *
 * Memory: the structs below have the layouts of the bindings wit-bindgen generates from the WIT
 * (checked when the SDK compiles), so a message passes in and out without a copy of the SDK's. Strings
 * are UTF-8 (ptr, len), not NUL-terminated. Everything the host hands you (the message, the init
 * context, new ids, search results, error strings) lives until your handler returns; copy what you
 * keep (caxton_str_dup, caxton_message_clone, caxton_agent_id_clone).
 *
 * Errors: caxton_fail(reason) ends the current handler with an application-level error (the
 * runtime answers the sender with `failure`; from caxton_on_init it fails the deployment). A trap
 * (abort(), __builtin_trap(), out of memory, out of fuel) is a crash: the instance is replaced, its
 * outbox discarded and the message retried.
 */
#ifndef CAXTON_H
#define CAXTON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- strings and lists ------------------------------------------------------------------------ */

/** A UTF-8 string: `ptr` may be NULL only for "none" (see caxton_opt / CAXTON_NONE). */
typedef struct caxton_str {
  const char *ptr;
  size_t len;
} caxton_str;

/** A string literal as a caxton_str: CAXTON_STR("hello"). */
#define CAXTON_STR(lit) ((caxton_str){ (lit), sizeof(lit) - 1 })
/** "no string" (an absent optional parameter). */
#define CAXTON_NONE ((caxton_str){ NULL, 0 })

/** A NUL-terminated string as a caxton_str (NULL gives CAXTON_NONE). */
caxton_str caxton_str_c(const char *s);
bool caxton_str_eq(caxton_str a, caxton_str b);
bool caxton_str_eq_c(caxton_str a, const char *b);
bool caxton_str_starts_with(caxton_str s, const char *prefix);
/** A NUL-terminated copy made with malloc (free it yourself); NULL for CAXTON_NONE. */
char *caxton_str_dup(caxton_str s);

typedef struct caxton_str_list {
  caxton_str *ptr;
  size_t len;
} caxton_str_list;

/** tuple<string, string>: a config entry, a user-defined parameter, a service property. */
typedef struct caxton_pair {
  caxton_str key;
  caxton_str value;
} caxton_pair;

typedef struct caxton_pair_list {
  caxton_pair *ptr;
  size_t len;
} caxton_pair_list;

/** The value of `key` in a pair list, or CAXTON_NONE. */
caxton_str caxton_pairs_get(caxton_pair_list pairs, const char *key);

/* ---- option<T>: a u8 discriminant, then the payload at its own alignment ----------------------- */

typedef struct caxton_opt_str {
  bool is_some;
  caxton_str val;
} caxton_opt_str;

typedef struct caxton_opt_u64 {
  bool is_some;
  uint64_t val;
} caxton_opt_u64;

/** An option<string> from a caxton_str (CAXTON_NONE, i.e. ptr == NULL, gives none). */
caxton_opt_str caxton_some(caxton_str s);
/** The string in an option, or CAXTON_NONE. */
caxton_str caxton_opt(caxton_opt_str o);

/* ---- the FIPA vocabulary ---------------------------------------------------------------------- */

/** The 22 FIPA communicative acts; the values are the enum discriminants of wit/agent.wit. */
typedef enum caxton_performative {
  CAXTON_ACCEPT_PROPOSAL = 0,
  CAXTON_AGREE = 1,
  CAXTON_CANCEL = 2,
  CAXTON_CFP = 3,
  CAXTON_CONFIRM = 4,
  CAXTON_DISCONFIRM = 5,
  CAXTON_FAILURE = 6,
  CAXTON_INFORM = 7,
  CAXTON_INFORM_IF = 8,
  CAXTON_INFORM_REF = 9,
  CAXTON_NOT_UNDERSTOOD = 10,
  CAXTON_PROPAGATE = 11,
  CAXTON_PROPOSE = 12,
  CAXTON_PROXY = 13,
  CAXTON_QUERY_IF = 14,
  CAXTON_QUERY_REF = 15,
  CAXTON_REFUSE = 16,
  CAXTON_REJECT_PROPOSAL = 17,
  CAXTON_REQUEST = 18,
  CAXTON_REQUEST_WHEN = 19,
  CAXTON_REQUEST_WHENEVER = 20,
  CAXTON_SUBSCRIBE = 21,
} caxton_performative;

#define CAXTON_PERFORMATIVE_COUNT 22

/** "accept-proposal", …; "unknown" out of range. */
const char *caxton_performative_name(caxton_performative p);
/** Parses the FIPA spelling (case-insensitive); -1 when it is not one of the 22 acts. */
int caxton_parse_performative(caxton_str name);

typedef enum caxton_log_level {
  CAXTON_LOG_TRACE = 0,
  CAXTON_LOG_DEBUG = 1,
  CAXTON_LOG_INFO = 2,
  CAXTON_LOG_WARN = 3,
  CAXTON_LOG_ERROR = 4,
} caxton_log_level;

/* ---- records ---------------------------------------------------------------------------------- */

/** A FIPA agent identifier; `name` is globally unique (`local@platform`). */
typedef struct caxton_agent_id {
  caxton_str name;
  caxton_str_list addresses;
} caxton_agent_id;

typedef struct caxton_agent_id_list {
  caxton_agent_id *ptr;
  size_t len;
} caxton_agent_id_list;

typedef struct caxton_opt_agent_id {
  bool is_some;
  caxton_agent_id val;
} caxton_opt_agent_id;

/** A FIPA ACL message: all 13 parameters plus user-defined `X-` parameters (160 bytes). */
typedef struct caxton_message {
  uint8_t performative; /* a caxton_performative */
  caxton_opt_agent_id sender; /* stamped by the runtime; ignored on send */
  caxton_agent_id_list receivers;
  caxton_agent_id_list reply_to;
  caxton_opt_str content;
  caxton_opt_str language;
  caxton_opt_str encoding;
  caxton_opt_str ontology;
  caxton_opt_str protocol;
  caxton_opt_str conversation_id;
  caxton_opt_str reply_with;
  caxton_opt_str in_reply_to;
  caxton_opt_u64 reply_by; /* milliseconds since the Unix epoch */
  caxton_pair_list user_params; /* keys keep their X- prefix */
} caxton_message;

/** A service this agent advertises in the directory. */
typedef struct caxton_service {
  caxton_str name;
  caxton_str type;
  caxton_str_list protocols;
  caxton_str_list ontologies;
  caxton_str_list languages;
  caxton_pair_list properties;
} caxton_service;

/** What the agent learns about itself when it starts. */
typedef struct caxton_init_context {
  caxton_agent_id self;
  caxton_pair_list config;
} caxton_init_context;

/** An empty message with the given performative (all options none, all lists empty). */
caxton_message caxton_message_new(caxton_performative p);
/** A list of one agent id (pointing at `id`, which must outlive the list's use). */
caxton_agent_id_list caxton_one(const caxton_agent_id *id);
/** Sets reply_by to `ms` (milliseconds since the epoch). */
void caxton_message_set_reply_by(caxton_message *m, uint64_t ms);

/** A deep copy in one malloc'd block (free() it): keeps a message beyond the handler. */
caxton_message *caxton_message_clone(const caxton_message *m);
/** A deep copy of an agent id in one malloc'd block (free() it). */
caxton_agent_id *caxton_agent_id_clone(const caxton_agent_id *id);

/** The value of config key `key`, or CAXTON_NONE. */
caxton_str caxton_config_get(const caxton_init_context *ctx, const char *key);
/** The value of user-defined parameter `key` (e.g. "X-trace"), or CAXTON_NONE. */
caxton_str caxton_user_param(const caxton_message *m, const char *key);

/* ---- the agent: define any of these (weak defaults in the SDK) -------------------------------- */

/** Called once per instance, before any message. */
void caxton_on_init(const caxton_init_context *ctx);
/** One message. The default answers not-understood (except to not-understood and failure). */
void caxton_on_message(const caxton_message *msg);
/** A timer set with caxton_set_timer fired. */
void caxton_on_timer(caxton_str token);

/** Ends the current handler with an application-level error once it returns (last call wins). */
void caxton_fail(const char *reason);
void caxton_fail_str(caxton_str reason);

/** This agent's identity (valid from caxton_on_init on, for the whole instance). */
const caxton_agent_id *caxton_self(void);

/* ---- the host --------------------------------------------------------------------------------- */

/**
 * Queues a message. Returns 0 when queued, else -1 with *error (if given) saying why it is invalid
 * (e.g. no receivers). Messages sent by a handler leave only if the handler completes; routing
 * failures come back later as `failure` messages.
 */
int caxton_send(const caxton_message *m, caxton_str *error);

void caxton_log(caxton_log_level level, caxton_str message);
/** printf-style logging (the line is cut at 1 KiB). */
void caxton_logf(caxton_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void caxton_trace(const char *message);
void caxton_debug(const char *message);
void caxton_info(const char *message);
void caxton_warn(const char *message);
void caxton_error(const char *message);

/** Wall-clock time, milliseconds since the Unix epoch. */
uint64_t caxton_now(void);
/** A fresh platform-unique identifier (valid until the handler returns). */
caxton_str caxton_new_id(void);
/** Asks for caxton_on_timer(token) after `delay_ms`. */
void caxton_set_timer(uint32_t delay_ms, caxton_str token);

/** Advertises (or replaces) a service: 0, or -1 with *error (if given) the directory's reason. */
int caxton_register_service(const caxton_service *service, caxton_str *error);
void caxton_deregister_service(caxton_str name);
/** Agents advertising services of `type` (valid until the handler returns). */
caxton_agent_id_list caxton_search_services(caxton_str type);

/* ---- durable state (caxton:agent/state, decision 1600) ----------------------------------------- */
/*
 * The agent's own key-value store. Writes made by a handler are read back by it and committed
 * with the handling, all or nothing; caxton_on_init may read but not write. An agent that calls
 * none of these functions does not import the interface.
 */

/** Why a write was refused (the WIT state-error-kind, same order). */
typedef enum caxton_state_error_kind {
  CAXTON_STATE_INVALID_KEY = 0, /* empty, too long, or control characters */
  CAXTON_STATE_VALUE_TOO_LARGE = 1,
  CAXTON_STATE_QUOTA_EXCEEDED = 2, /* total bytes or key count */
  CAXTON_STATE_READ_ONLY = 3, /* during caxton_on_init */
} caxton_state_error_kind;

/** The WIT state-error record (12 bytes); `message` lives until the handler returns. */
typedef struct caxton_state_error {
  uint8_t kind; /* a caxton_state_error_kind */
  caxton_str message;
} caxton_state_error;

/** "invalid-key", …; "unknown" out of range. */
const char *caxton_state_error_kind_name(uint8_t kind);

/** True with *value (valid until the handler returns) when `key` has a value, this handler's
    own writes included. */
bool caxton_state_get(caxton_str key, caxton_str *value);
/** Sets `key`: 0, or -1 with *error (if given). */
int caxton_state_set(caxton_str key, caxton_str value, caxton_state_error *error);
/** Removes `key` (absent is fine): 0, or -1 with *error (if given). */
int caxton_state_delete(caxton_str key, caxton_state_error *error);
/** Keys starting with `prefix` in byte order, after `start_after` (CAXTON_NONE: from the start),
    at most `limit` (capped by the host). Valid until the handler returns. */
caxton_str_list caxton_state_keys(caxton_str prefix, caxton_str start_after, uint32_t limit);

/* ---- topic subscriptions (caxton:agent/topics, decision 1961) ---------------------------------- */
/*
 * A message sent to the receiver "topic:<name>" is delivered to every agent subscribed to <name>
 * (its receiver stays "topic:<name>"). Like a send, a change made in caxton_on_init, a handler or
 * a timer is applied only if that call completes, and lasts (restarts, upgrades) until
 * unsubscribed or the agent is undeployed. The per-agent bound (100 topics) is checked when the
 * change is applied (a refusal is written to the agent's log). An agent that calls none of these
 * functions does not import the interface.
 */

typedef enum caxton_topic_error_kind {
  CAXTON_TOPIC_INVALID_NAME = 0, /* 1..200 of letters, digits and ". - _ /", no "topic:" prefix */
  CAXTON_TOPIC_INVALID_FILTER = 1, /* not the filter form as JSON, or over its bounds */
  CAXTON_TOPIC_QUOTA_EXCEEDED = 2, /* directory changes per call or per second */
} caxton_topic_error_kind;

/** The WIT topic-error record (12 bytes); `message` lives until the handler returns. */
typedef struct caxton_topic_error {
  uint8_t kind; /* a caxton_topic_error_kind */
  caxton_str message;
} caxton_topic_error;

/** "invalid-name", …; "unknown" out of range. */
const char *caxton_topic_error_kind_name(uint8_t kind);

/** Subscribes to `topic` with a filter as JSON text ({"all":[{"field":…,"match":{…}}]}), or
    CAXTON_NONE for every message; again: replaces the filter. 0, or -1 with *error (if given). */
int caxton_topics_subscribe(caxton_str topic, caxton_str filter, caxton_topic_error *error);
/** Unsubscribes (not subscribed is fine): 0, or -1 with *error (if given). */
int caxton_topics_unsubscribe(caxton_str topic, caxton_topic_error *error);

/* ---- the message being handled (caxton:agent/message-info, decision 2001) --------------------- */
/*
 * A message with more than 16 receivers is delivered with only this agent's own id in `receivers`
 * and the count in the user parameter "X-caxton-receivers"; the whole list, as sent, is paged here
 * (below the threshold the message carries its list and these answer the same).
 */
typedef enum caxton_message_info_error_kind {
  CAXTON_MESSAGE_INFO_NO_MESSAGE = 0,    /* not in a handler (caxton_on_init, a timer) */
  CAXTON_MESSAGE_INFO_INVALID_RANGE = 1, /* limit 0 or over 256, or offset past the end */
} caxton_message_info_error_kind;

/** The WIT message-info-error record (12 bytes); `message` lives until the handler returns. */
typedef struct caxton_message_info_error {
  uint8_t kind; /* a caxton_message_info_error_kind */
  caxton_str message;
} caxton_message_info_error;

/** Most receivers one caxton_receivers call returns. */
#define CAXTON_MAX_RECEIVERS_PAGE 256u

/** "no-message", "invalid-range"; "unknown" out of range. */
const char *caxton_message_info_error_kind_name(uint8_t kind);
/** How many receivers the message being handled has (0 outside a handler). */
uint32_t caxton_receiver_count(void);
/** Receivers offset .. offset + limit (limit 1..256) in the order sent, into *out (memory that lives
    until the handler returns): 0, or -1 with *error (if given). */
int caxton_receivers(uint32_t offset, uint32_t limit, caxton_agent_id_list *out, caxton_message_info_error *error);

/* ---- outbound HTTP (caxton:agent/http, decision 1601) ------------------------------------------ */
/*
 * caxton_http_fetch never blocks: it checks the request and returns its id; the request leaves
 * only if the handling completes, and the answer comes later as a message from http@<platform>
 * (read it with caxton_http_response_of).
 */

typedef struct caxton_opt_u32 {
  bool is_some;
  uint32_t val;
} caxton_opt_u32;

/** The WIT request record (passed to the host flat: 14 values). */
typedef struct caxton_http_request {
  caxton_str method; /* GET, POST, PUT, PATCH, DELETE, HEAD */
  caxton_str url; /* absolute http(s) URL the deployment allows */
  caxton_pair_list headers;
  caxton_opt_str body;
  caxton_opt_u32 timeout_ms;
  caxton_opt_str context; /* echoed back as X-caxton-http-context */
} caxton_http_request;

typedef enum caxton_http_error_kind {
  CAXTON_HTTP_DENIED = 0, /* not on the deployment's allow-list */
  CAXTON_HTTP_INVALID_REQUEST = 1,
  CAXTON_HTTP_QUOTA_EXCEEDED = 2,
} caxton_http_error_kind;

typedef struct caxton_http_error {
  uint8_t kind; /* a caxton_http_error_kind */
  caxton_str message;
} caxton_http_error;

const char *caxton_http_error_kind_name(uint8_t kind);

/** Starts a request: 0 with *id (the answer's in-reply-to; valid until the handler returns), or
    -1 with *error (if given): refused at once, nothing is sent. */
int caxton_http_fetch(const caxton_http_request *request, caxton_str *id, caxton_http_error *error);

/** An answer from the HTTP gateway, pointing into the message it was read from. */
typedef struct caxton_http_response {
  caxton_str request_id; /* in-reply-to */
  caxton_str context; /* CAXTON_NONE when the request had none */
  int status; /* 0 when there was no response */
  caxton_str failure; /* why there was no response (timeout, too-large, …), else CAXTON_NONE */
  caxton_str body; /* base64 when body_base64 */
  bool body_base64;
} caxton_http_response;

/** True (filling *out) when `m` is an answer from http@<this agent's platform>: inform with
    X-caxton-http-status, or failure with X-caxton-failure. */
bool caxton_http_response_of(const caxton_message *m, caxton_http_response *out);
/** A response header by lower-case name (X-caxton-http-header-<name>), or CAXTON_NONE. */
caxton_str caxton_http_response_header(const caxton_message *m, const char *name);

/* ---- calling A2A agents (caxton:agent/a2a, decisions 1951, 2193) ------------------------------ */
/*
 * The host speaks A2A's JSON-RPC binding for the agent — 1.0's SendMessage, SendStreamingMessage,
 * GetTask and CancelTask (with A2A-Version: 1.0), or 0.3's message/send, message/stream, tasks/get
 * and tasks/cancel — over the deployment's allow-listed outbound HTTP (its allow-list, timeouts,
 * sizes and quotas apply), and reads the answer itself: this SDK builds and parses no JSON. Like
 * caxton_http_fetch, a call never blocks: caxton_a2a_send returns the call's id, the call leaves
 * only if the handling completes, and the answer comes later as a message from http@<platform>,
 * read with caxton_a2a_response_of; `context` travels with it.
 *
 *     caxton_a2a_call call = { .url = url, .text = caxton_opt(msg->content), .token = token,
 *                              .context = whom_to_answer };
 *     caxton_a2a_error err;
 *     if (caxton_a2a_send(&call, NULL, &err)) … err.kind == CAXTON_A2A_REFUSED, err.reason
 *     … later, in caxton_on_message:
 *     caxton_a2a_response r;
 *     if (caxton_a2a_response_of(msg, &r)) {
 *       if (r.ok) … r.result.state, r.result.text; else … r.error.kind, r.error.reason
 *       caxton_a2a_response_free(&r);
 *     }
 *
 * An agent's HTTP call answers once: caxton_a2a_stream's answer is the stream read whole when it
 * ends (result.states lists each state the task passed through). The host bounds what a hostile
 * server can send (nesting, 1,000 events, 1,000 artifacts, ids of 1 KiB, reasons of 512 bytes
 * cut between UTF-8 characters): an odd answer is a typed error, never a crash.
 */

/** The longest reason the host sends, in bytes (caxton_a2a_error.reason holds it whole). */
#define CAXTON_A2A_MAX_REASON 512

typedef enum caxton_a2a_error_kind {
  CAXTON_A2A_REFUSED = 0, /* the call never left: not allow-listed, invalid, quota */
  CAXTON_A2A_NO_RESPONSE = 1, /* timeout, connect-failed, too-large… (failure) */
  CAXTON_A2A_HTTP_STATUS = 2, /* not 2xx (status) */
  CAXTON_A2A_RPC_ERROR = 3, /* a JSON-RPC error (code) */
  CAXTON_A2A_MALFORMED = 4, /* not a JSON-RPC answer with a Task or a Message */
} caxton_a2a_error_kind;

/** Why an A2A call has no usable result; print it as "a2a: <kind name>: <reason>". */
typedef struct caxton_a2a_error {
  uint8_t kind; /* a caxton_a2a_error_kind */
  int status; /* the HTTP status (HTTP_STATUS), else 0 */
  bool has_code;
  long long code; /* the JSON-RPC error code (RPC_ERROR, when has_code) */
  char failure[64]; /* why there was no response (NO_RESPONSE: timeout, too-large…), else "" */
  /* NUL-terminated, valid UTF-8: the host's reason whole; REFUSED: "<http error kind>: <message>",
     cut at CAXTON_A2A_MAX_REASON bytes before a character it would split. */
  char reason[CAXTON_A2A_MAX_REASON + 1];
} caxton_a2a_error;

const char *caxton_a2a_error_kind_name(uint8_t kind);

/** One message to send (send, stream). Strings may be CAXTON_NONE where optional (all but url and text). */
typedef struct caxton_a2a_call {
  caxton_str url; /* the agent's JSON-RPC endpoint (its card's JSONRPC interface); allow-listed */
  caxton_str text; /* the message's one text part */
  caxton_str token; /* sent as the header authorization: Bearer <token> */
  caxton_str version; /* "1.0" (default: SendMessage, A2A-Version: 1.0) or "0.3" (message/send) */
  caxton_str context_id; /* the A2A context to continue */
  caxton_pair_list headers; /* added to the request as they are (e.g. an API key), checked as caxton_http_fetch's */
  caxton_opt_u32 timeout_ms; /* shorter than the deployment's timeout */
  caxton_str context; /* echoed back with the answer (e.g. whom to answer) */
} caxton_a2a_call;

/** One call about a task (get, cancel); fields as caxton_a2a_call's. */
typedef struct caxton_a2a_task_call {
  caxton_str url;
  caxton_str task_id;
  caxton_str token;
  caxton_str version;
  caxton_pair_list headers;
  caxton_opt_u32 timeout_ms;
  caxton_str context;
} caxton_a2a_task_call;

/** Send the message / its streaming variant / get a task / cancel a task: 0 with *id (if given;
    the answer's in-reply-to, valid until the handler returns), or -1 with a CAXTON_A2A_REFUSED
    error (if given): nothing is sent. A version other than "1.0" or "0.3" is refused without
    calling the host. */
int caxton_a2a_send(const caxton_a2a_call *call, caxton_str *id, caxton_a2a_error *error);
int caxton_a2a_stream(const caxton_a2a_call *call, caxton_str *id, caxton_a2a_error *error);
int caxton_a2a_get(const caxton_a2a_task_call *call, caxton_str *id, caxton_a2a_error *error);
int caxton_a2a_cancel(const caxton_a2a_task_call *call, caxton_str *id, caxton_a2a_error *error);

/** A Task or a Message, as the host read it. The strings point into the answer's message (valid
    while it is: until the handler returns); CAXTON_NONE when the answer has none. */
typedef struct caxton_a2a_result {
  bool is_task;
  caxton_str task_id; /* a Task */
  caxton_str message_id; /* a Message, when it has one */
  caxton_str context_id;
  caxton_str state; /* a Task: lower case with dashes (completed, failed, input-required…); CAXTON_NONE for a Message */
  bool is_final; /* completed, failed, canceled, rejected; true for a Message */
  caxton_str text; /* the artifacts' text, else the status message's; parts joined by newlines; may hold NULs */
  caxton_str_list states; /* a stream only: each state passed through, in order (a malloc'd list) */
} caxton_a2a_result;

/** The answer to an A2A call: the result (ok) or the error; request_id and context point into the message. */
typedef struct caxton_a2a_response {
  caxton_str request_id; /* in-reply-to: the id caxton_a2a_send … returned */
  caxton_str context; /* the call's own context; CAXTON_NONE when it had none */
  bool ok;
  caxton_a2a_result result;
  caxton_a2a_error error;
} caxton_a2a_response;

/** True (filling *out; free it with caxton_a2a_response_free) when `m` answers an A2A call: an
    inform or failure from http@<this agent's platform> carrying X-caxton-a2a-result or
    X-caxton-a2a-error. False for any other message, including the answer to a plain
    caxton_http_fetch. */
bool caxton_a2a_response_of(const caxton_message *m, caxton_a2a_response *out);
/** Frees what caxton_a2a_response_of allocated (result.states). */
void caxton_a2a_response_free(caxton_a2a_response *r);

/* ---- replies (FIPA conversation bookkeeping) -------------------------------------------------- */

/**
 * A reply to `to`: receivers are its reply-to (or its sender); conversation-id, protocol,
 * language, ontology and encoding are kept; in-reply-to is its reply-with. `content` may be
 * CAXTON_NONE. The reply points into `to`: use it before the handler returns.
 */
caxton_message caxton_create_reply(const caxton_message *to, caxton_performative p, caxton_str content);
/** Sends caxton_create_reply(...): 0 when queued, -1 when invalid. */
int caxton_reply(const caxton_message *to, caxton_performative p, caxton_str content);
/** A message opening a conversation: fresh conversation-id and reply-with; protocol may be NULL. */
caxton_message caxton_initiate(caxton_performative p, caxton_agent_id_list receivers, caxton_str content, const char *protocol);

int caxton_agree(const caxton_message *request, caxton_str content);
int caxton_refuse(const caxton_message *request, const char *reason);
/** inform with `content`, or "done" when content is CAXTON_NONE. */
int caxton_inform_done(const caxton_message *request, caxton_str content);
int caxton_inform_result(const caxton_message *request, caxton_str result);
int caxton_failure(const caxton_message *request, const char *reason);
int caxton_not_understood(const caxton_message *msg, const char *reason);
/** True when `msg` has a reply-by that has passed at `now_ms`. */
bool caxton_is_expired(const caxton_message *msg, uint64_t now_ms);

/* ---- fipa-request / fipa-query initiators ----------------------------------------------------- */

#define CAXTON_REQUEST_PROTOCOL "fipa-request"
#define CAXTON_QUERY_PROTOCOL "fipa-query"
#define CAXTON_SUBSCRIBE_PROTOCOL "fipa-subscribe"
#define CAXTON_CONTRACT_NET "fipa-contract-net"

/** Sends a request; the returned message (valid until the handler returns) has its conversation-id. */
caxton_message caxton_request(const caxton_agent_id *receiver, caxton_str content);
caxton_message caxton_query_ref(const caxton_agent_id *receiver, caxton_str content);
caxton_message caxton_query_if(const caxton_agent_id *receiver, caxton_str content);

/* ---- fipa-subscribe --------------------------------------------------------------------------- */

/** Participant side: the accepted subscriptions (copies, kept across messages). */
typedef struct caxton_subscriptions {
  caxton_message **items;
  size_t len, cap;
} caxton_subscriptions;

/** Accepts a subscribe message: sends agree (content may be CAXTON_NONE) and keeps a copy. */
void caxton_subscriptions_add(caxton_subscriptions *t, const caxton_message *subscribe, caxton_str agree_content);
/** Handles a cancel: forgets the subscription and informs; failure when unknown. */
bool caxton_subscriptions_cancel(caxton_subscriptions *t, const caxton_message *cancel);
/** Informs every subscriber in its own conversation; returns how many. */
size_t caxton_subscriptions_notify(caxton_subscriptions *t, caxton_str content);

/** Initiator side: subscribes to `publisher`; keep a clone of the result to unsubscribe later. */
caxton_message caxton_subscribe(const caxton_agent_id *publisher, caxton_str content);
void caxton_unsubscribe(const caxton_message *subscription);

/* ---- fipa-contract-net ------------------------------------------------------------------------ */

/** Participant: bids for a cfp; false (nothing sent) when its reply-by has passed. */
bool caxton_propose(const caxton_message *cfp, caxton_str content);

typedef enum caxton_round_state {
  CAXTON_ROUND_COLLECTING, CAXTON_ROUND_READY, CAXTON_ROUND_NO_BIDS, CAXTON_ROUND_AWARDED,
  CAXTON_ROUND_DONE, CAXTON_ROUND_FAILED,
} caxton_round_state;

typedef enum caxton_cnet_event {
  CAXTON_CNET_NONE, CAXTON_CNET_PROPOSE, CAXTON_CNET_REFUSE, CAXTON_CNET_READY, CAXTON_CNET_LATE,
  CAXTON_CNET_RESULT, CAXTON_CNET_FAILURE, CAXTON_CNET_NOT_UNDERSTOOD,
} caxton_cnet_event;

/** One call for proposals (everything in it is owned by the initiator). */
typedef struct caxton_cfp_round {
  char *conversation_id;
  char *task;
  uint64_t deadline;
  char **invited; /* agent names */
  size_t invited_len;
  caxton_message **proposals; /* clones */
  size_t proposals_len;
  size_t refusals_len;
  caxton_round_state state;
  caxton_message *winner; /* one of proposals */
  caxton_message *result; /* clone of the winner's inform/failure */
  caxton_cnet_event last_event;
  void *user; /* free for the initiator's bookkeeping */
} caxton_cfp_round;

/** Initiator: the rounds it runs; finished rounds are kept (for late bids) up to 256. */
typedef struct caxton_contract_net {
  caxton_cfp_round **rounds;
  size_t len, cap;
} caxton_contract_net;

/** Sends a cfp on `task` to `contractors` with reply-by now + timeout and arms a deadline timer. */
caxton_cfp_round *caxton_cnet_start(caxton_contract_net *cn, caxton_str task, caxton_agent_id_list contractors, uint32_t timeout_ms);
/** Feeds a message: its round (see last_event) or NULL when it is not ours. */
caxton_cfp_round *caxton_cnet_handle(caxton_contract_net *cn, const caxton_message *msg);
/** Feeds a timer token: the round its deadline just closed, or NULL. */
caxton_cfp_round *caxton_cnet_on_timer(caxton_contract_net *cn, caxton_str token);
/** Accepts `winner` (one of round->proposals), rejects every other proposal. */
void caxton_cnet_award(caxton_contract_net *cn, caxton_cfp_round *round, caxton_message *winner, caxton_str accept_content);
/** Ends a ready round without a winner: every proposal is rejected. */
void caxton_cnet_reject_all(caxton_contract_net *cn, caxton_cfp_round *round, const char *reason);
/** The proposal with the highest score (NaN never wins), or NULL. */
caxton_message *caxton_cnet_best(caxton_cfp_round *round, double (*score)(const caxton_message *proposal, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* CAXTON_H */
