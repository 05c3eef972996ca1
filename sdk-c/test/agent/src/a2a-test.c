// The C SDK's outbound A2A helper (caxton_a2a_*), its pure parts: the JSON-RPC requests it
// builds in both A2A versions, and what it reads from answers — Tasks and Messages in 1.0's and
// 0.3's JSON, streams, JSON-RPC errors, HTTP statuses, and what a hostile server might send (deep
// nesting, truncation, not JSON) — each a result or a typed error, never a crash. Called from
// sdk-test.c (inside the real sandbox); builds no request that leaves, so the agent still imports
// only caxton:agent/host.
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *checks;
static char *failed;
static size_t failed_cap;

#define CHECK(cond)                                                                                    \
  do {                                                                                                 \
    (*checks)++;                                                                                       \
    if (!(cond) && !failed[0]) snprintf(failed, failed_cap, "a2a: %s (line %d)", #cond, __LINE__); \
  } while (0)

static bool contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }
static bool eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const char *header(const caxton_a2a_request *r, const char *name) {
  static char value[128];
  for (size_t i = 0; i < r->http.headers.len; i++) {
    if (caxton_str_eq_c(r->http.headers.ptr[i].key, name)) {
      snprintf(value, sizeof value, "%.*s", (int)r->http.headers.ptr[i].value.len, r->http.headers.ptr[i].value.ptr);
      return value;
    }
  }
  return NULL;
}

static char *body(const caxton_a2a_request *r) {
  static char text[1024];
  snprintf(text, sizeof text, "%.*s", (int)r->http.body.val.len, r->http.body.val.ptr);
  return text;
}

static void requests(void) {
  caxton_a2a_call call = { .url = CAXTON_STR("https://agent.example/a2a/jsonrpc"), .text = CAXTON_STR("h\xc3\xa9llo \"q\"\n"),
                           .token = CAXTON_STR("tok"), .context = CAXTON_STR("whom"), .context_id = CAXTON_STR("ctx-1"),
                           .message_id = CAXTON_STR("m-1") };
  caxton_a2a_request r;
  caxton_a2a_error e;
  CHECK(caxton_a2a_send_request(&call, &r, &e) == 0);
  CHECK(caxton_str_eq_c(r.http.method, "POST") && caxton_str_eq(r.http.url, call.url));
  CHECK(eq(header(&r, "a2a-version"), "1.0") && eq(header(&r, "authorization"), "Bearer tok") && eq(header(&r, "accept"), "application/json"));
  CHECK(r.http.context.is_some && caxton_str_eq_c(r.http.context.val, "caxton-a2a:whom"));
  CHECK(contains(body(&r), "\"jsonrpc\":\"2.0\"") && contains(body(&r), "\"method\":\"SendMessage\""));
  CHECK(contains(body(&r), "{\"messageId\":\"m-1\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"h\xc3\xa9llo \\\"q\\\"\\n\"}],\"contextId\":\"ctx-1\"}"));
  CHECK(contains(body(&r), "\"configuration\":{\"returnImmediately\":false}"));
  /* What the helper sends, its own reader reads: the request body is JSON. */
  caxton_a2a_result res;
  caxton_a2a_error pe;
  CHECK(caxton_a2a_result_from_body((caxton_str){ r.http.body.val.ptr, r.http.body.val.len }, &res, &pe) != 0 && pe.kind == CAXTON_A2A_MALFORMED &&
        eq(pe.reason, "the JSON-RPC response has no result"));
  caxton_a2a_request_free(&r);

  caxton_a2a_call old = { .url = CAXTON_STR("http://a/rpc"), .text = CAXTON_STR("x"), .version = CAXTON_STR("0.3") };
  CHECK(caxton_a2a_send_request(&old, &r, &e) == 0);
  CHECK(header(&r, "a2a-version") == NULL && header(&r, "authorization") == NULL);
  CHECK(contains(body(&r), "\"method\":\"message/send\"") && contains(body(&r), "\"kind\":\"message\"") && contains(body(&r), "\"role\":\"user\""));
  CHECK(contains(body(&r), "\"parts\":[{\"kind\":\"text\",\"text\":\"x\"}]") && contains(body(&r), "{\"blocking\":true}"));
  CHECK(contains(body(&r), "\"messageId\":\"")); /* made by the host */
  caxton_a2a_request_free(&r);
  CHECK(caxton_a2a_stream_request(&old, &r, &e) == 0 && contains(body(&r), "\"method\":\"message/stream\""));
  caxton_a2a_request_free(&r);
  old.version = CAXTON_NONE;
  CHECK(caxton_a2a_stream_request(&old, &r, &e) == 0 && contains(body(&r), "\"method\":\"SendStreamingMessage\""));
  CHECK(eq(header(&r, "accept"), "text/event-stream") && caxton_str_eq_c(r.http.context.val, "caxton-a2a-sse:"));
  caxton_a2a_request_free(&r);
  old.version = CAXTON_STR("2.0");
  CHECK(caxton_a2a_send_request(&old, &r, &e) == -1 && e.kind == CAXTON_A2A_REFUSED && contains(e.reason, "must be 1.0 or 0.3"));

  caxton_a2a_task_call task = { .url = CAXTON_STR("http://a/rpc"), .task_id = CAXTON_STR("t-1"), .history_length = { true, 3 }, .timeout_ms = { true, 900 } };
  CHECK(caxton_a2a_get_task_request(&task, &r, &e) == 0);
  CHECK(contains(body(&r), "\"method\":\"GetTask\",\"params\":{\"id\":\"t-1\",\"historyLength\":3}") && r.http.timeout_ms.is_some && r.http.timeout_ms.val == 900);
  caxton_a2a_request_free(&r);
  task.version = CAXTON_STR("0.3");
  CHECK(caxton_a2a_cancel_task_request(&task, &r, &e) == 0 && contains(body(&r), "\"method\":\"tasks/cancel\",\"params\":{\"id\":\"t-1\"}"));
  caxton_a2a_request_free(&r);
  CHECK(caxton_a2a_get_task_request(&task, &r, &e) == 0 && contains(body(&r), "\"tasks/get\""));
  caxton_a2a_request_free(&r);
}

/* The body read: 0 with *r, or the error's "a2a: kind: reason" in msg. */
static int read_body(const char *text, caxton_a2a_result *r, char *msg, size_t cap) {
  caxton_a2a_error e;
  if (caxton_a2a_result_from_body(caxton_str_c(text), r, &e) == 0) return 0;
  snprintf(msg, cap, "a2a: %s: %s", caxton_a2a_error_kind_name(e.kind), e.reason);
  return -1;
}

static void results(void) {
  caxton_a2a_result r;
  char msg[600];
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\","
                  "\"message\":{\"parts\":[{\"text\":\"status\"}]}},\"artifacts\":[{\"parts\":[{\"text\":\"a\"},{\"data\":{}},{\"text\":\"b\"}]},{\"parts\":[]}]}}}",
                  &r, msg, sizeof msg) == 0);
  CHECK(r.is_task && eq(r.task_id, "t") && eq(r.context_id, "c") && eq(r.state, "completed") && r.is_final && eq(r.text, "a\nb"));
  caxton_a2a_result_free(&r);
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"task\",\"id\":\"t\",\"status\":{\"state\":\"input-required\",\"message\":{\"parts\":[{\"kind\":\"text\",\"text\":\"more?\"}]}}}}", &r, msg, sizeof msg) == 0);
  CHECK(eq(r.state, "input-required") && !r.is_final && eq(r.text, "more?"));
  caxton_a2a_result_free(&r);
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"id\":\"t\",\"status\":{\"state\":\"TASK_STATE_CANCELED\"}}}", &r, msg, sizeof msg) == 0 && eq(r.state, "canceled"));
  caxton_a2a_result_free(&r);
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"message\",\"messageId\":\"m1\",\"role\":\"agent\",\"parts\":[{\"kind\":\"text\",\"text\":\"old\"},"
                  "{\"kind\":\"data\",\"data\":{}},{\"kind\":\"text\",\"text\":\"style\"}]}}", &r, msg, sizeof msg) == 0);
  CHECK(!r.is_task && eq(r.message_id, "m1") && r.state == NULL && r.is_final && eq(r.text, "old\nstyle"));
  caxton_a2a_result_free(&r);
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\",\"message\":{\"parts\":[{\"text\":"
                  "\"te\\u0073t \\\"q\\\" \\u00e9\\n \\ud83d\\ude00 \\ud800\"}]}}}}}", &r, msg, sizeof msg) == 0);
  CHECK(eq(r.text, "test \"q\" \xc3\xa9\n \xf0\x9f\x98\x80 \xef\xbf\xbd"));
  caxton_a2a_result_free(&r);

  caxton_a2a_error e;
  CHECK(caxton_a2a_result_from_body(CAXTON_STR("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":\"Task not found\",\"data\":{\"hint\":\"check the id\"}}}"), &r, &e) == -1);
  CHECK(e.kind == CAXTON_A2A_RPC_ERROR && e.has_code && e.code == -32001 && eq(e.reason, "Task not found (check the id)"));
  /* What a hostile or broken server may answer. */
  CHECK(read_body("not json at all", &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the answer is not JSON: not json at all"));
  CHECK(read_body("{\"result\":{\"task\":{\"id\":\"t\"}}}", &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the answer is not a JSON-RPC 2.0 response"));
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifact\":{}}}", &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the result is neither a Task nor a Message"));
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1}", &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the JSON-RPC response has no result"));
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"status\":{}}}}", &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the task has no id"));
  CHECK(read_body("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"status\":{\"state\":\"TASK_STATE_COMP", &r, msg, sizeof msg) == -1 &&
        contains(msg, "a2a: malformed: the answer is not JSON: "));
  for (const char *bad = "[1,]\0{\"a\" 1}\0" "01\0" "1.\0\"\\x\"\0tru\0{\"a\":1,}\0-\0\"\\u12\"\0[1] x\0"; *bad; bad += strlen(bad) + 1) {
    CHECK(caxton_a2a_result_from_body(caxton_str_c(bad), &r, &e) == -1 && contains(e.reason, "is not JSON"));
  }
  /* 20,000 levels: refused at the 65th, the stack untouched beyond it. */
  size_t depth = 20000, n = 0;
  char *deep = malloc(depth * 2 + 64);
  n += (size_t)sprintf(deep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":");
  memset(deep + n, '[', depth);
  memset(deep + n + depth, ']', depth);
  strcpy(deep + n + 2 * depth, "}");
  CHECK(read_body(deep, &r, msg, sizeof msg) == -1 && eq(msg, "a2a: malformed: the answer nests deeper than 64 levels"));
  free(deep);
  char bound[200] = "[";
  for (int i = 1; i < 64; i++) strcat(bound, "[");
  for (int i = 0; i < 64; i++) strcat(bound, "]");
  CHECK(caxton_a2a_result_from_body(caxton_str_c(bound), &r, &e) == -1 && eq(e.reason, "the answer is not a JSON-RPC 2.0 response")); /* 64 deep parses */
}

static void http_answers(void) {
  caxton_agent_id gw = { CAXTON_STR("http@platform"), { NULL, 0 } };
  caxton_pair params[] = {
    { CAXTON_STR("X-caxton-http-status"), CAXTON_STR("401") },
    { CAXTON_STR("X-caxton-http-context"), CAXTON_STR("caxton-a2a:bob") },
  };
  caxton_message m = caxton_message_new(CAXTON_INFORM);
  m.sender = (caxton_opt_agent_id){ true, gw };
  m.in_reply_to = caxton_some(CAXTON_STR("http-9"));
  m.content = caxton_some(CAXTON_STR("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32600,\"message\":\"missing token\"}}"));
  m.user_params = (caxton_pair_list){ params, 2 };
  caxton_a2a_response r;
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && caxton_str_eq_c(r.request_id, "http-9") && caxton_str_eq_c(r.context, "bob"));
  CHECK(r.error.kind == CAXTON_A2A_HTTP_STATUS && r.error.status == 401 && eq(r.error.reason, "HTTP 401: missing token"));
  caxton_a2a_response_free(&r);
  m.content = caxton_some(CAXTON_STR("<html>bad gateway</html>"));
  params[0].value = CAXTON_STR("502");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && eq(r.error.reason, "HTTP 502: <html>bad gateway</html>"));
  caxton_a2a_response_free(&r);
  params[0].value = CAXTON_STR("200");
  m.content = caxton_some(CAXTON_STR("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"message\":{\"messageId\":\"m1\",\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"a plain message\"}]}}}"));
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && !r.result.is_task && eq(r.result.text, "a plain message"));
  caxton_a2a_response_free(&r);
  caxton_pair why[] = { { CAXTON_STR("X-caxton-failure"), CAXTON_STR("too-large") }, { CAXTON_STR("X-caxton-http-context"), CAXTON_STR("caxton-a2a-sse:x") } };
  m.performative = CAXTON_FAILURE;
  m.user_params = (caxton_pair_list){ why, 2 };
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && r.error.kind == CAXTON_A2A_NO_RESPONSE && eq(r.error.failure, "too-large"));
  CHECK(eq(r.error.reason, "no response: too-large") && caxton_str_eq_c(r.context, "x"));
  caxton_a2a_response_free(&r);
  /* A plain HTTP answer, or a message from an agent, is not an A2A answer. */
  why[1].value = CAXTON_STR("mine");
  CHECK(!caxton_a2a_response_of(&m, &r));
  why[1].value = CAXTON_STR("caxton-a2a:");
  m.sender.val.name = CAXTON_STR("mallory");
  CHECK(!caxton_a2a_response_of(&m, &r));
}

static void streams(void) {
  const char *v1 =
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_SUBMITTED\"}}}}\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\r\n\r\n"
    ": a comment\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"HEL\"}]}}}}\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"append\":true,\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"LO\"}]}}}}\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"final\":true,\"status\":{\"state\":\"TASK_STATE_COMPLETED\"}}}}\n\n";
  caxton_a2a_result r;
  caxton_a2a_error e;
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(v1), &r, &e) == 0);
  CHECK(r.is_task && eq(r.task_id, "t") && eq(r.context_id, "c") && eq(r.state, "completed") && r.is_final && eq(r.text, "HELLO"));
  CHECK(r.states_len == 3 && eq(r.states[0], "submitted") && eq(r.states[1], "working") && eq(r.states[2], "completed"));
  caxton_a2a_result_free(&r);
  const char *v03 =
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"task\",\"id\":\"t\",\"status\":{\"state\":\"working\"}}}\n\n"
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"status-update\",\"taskId\":\"t\",\"status\":{\"state\":\"canceled\",\"message\":{\"parts\":[{\"kind\":\"text\",\"text\":\"stopped\"}]}}}}\n\n";
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(v03), &r, &e) == 0 && eq(r.state, "canceled") && eq(r.text, "stopped") && r.states_len == 2);
  caxton_a2a_result_free(&r);
  CHECK(caxton_a2a_result_from_sse(CAXTON_STR("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"message\":{\"messageId\":\"m\",\"parts\":[{\"text\":\"hi\"}]}}}\n\n"), &r, &e) == 0 &&
        !r.is_task && eq(r.text, "hi"));
  caxton_a2a_result_free(&r);
  CHECK(caxton_a2a_result_from_sse(CAXTON_STR("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":\"Task not found\"}}\n\n"), &r, &e) == -1 &&
        e.kind == CAXTON_A2A_RPC_ERROR);
  CHECK(caxton_a2a_result_from_sse(CAXTON_STR(""), &r, &e) == -1 && eq(e.reason, "the stream carried neither a Task nor a Message"));
  CHECK(caxton_a2a_result_from_sse(CAXTON_STR("data: [1]\n\n"), &r, &e) == -1 && eq(e.reason, "an event is not a JSON-RPC 2.0 response"));
  const char *one = "data: {\"jsonrpc\":\"2.0\",\"result\":{}}\n\n";
  size_t len = strlen(one);
  char *many = malloc(len * 1001 + 1);
  for (int i = 0; i < 1001; i++) memcpy(many + (size_t)i * len, one, len);
  many[len * 1001] = 0;
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(many), &r, &e) == -1 && eq(e.reason, "the stream has 1001 events, more than 1000"));
  free(many);
  char *deep = malloc(200010);
  strcpy(deep, "data: ");
  for (int i = 0; i < 40000; i++) memcpy(deep + 6 + i * 5, "{\"a\":", 5);
  strcpy(deep + 6 + 200000, "\n\n");
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(deep), &r, &e) == -1 && eq(e.reason, "an event nests deeper than 64 levels"));
  free(deep);
}

/* Whether s is whole, valid UTF-8 (no truncated, overlong or surrogate sequence): what the host's strict decoder accepts. */
static bool valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
    if (!n || (n == 2 && *p < 0xC2) || (n == 3 && *p == 0xE0 && p[1] < 0xA0) || (n == 3 && *p == 0xED && p[1] >= 0xA0) ||
        (n == 4 && ((*p == 0xF0 && p[1] < 0x90) || *p > 0xF4 || (*p == 0xF4 && p[1] >= 0x90)))) return false;
    for (size_t i = 1; i < n; i++) if ((p[i] & 0xC0) != 0x80) return false;
    p += n;
  }
  return true;
}

/* 300 "é" (600 bytes) as a server's text: every reason that quotes it is cut at 511 bytes, between characters. */
static void long_reasons(void) {
  char accents[601] = { 0 };
  for (int i = 0; i < 300; i++) memcpy(accents + 2 * i, "\xc3\xa9", 2);
  char rpc[800];
  snprintf(rpc, sizeof rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"%s\"}}", accents);
  caxton_a2a_result r;
  caxton_a2a_error e;
  CHECK(caxton_a2a_result_from_body(caxton_str_c(rpc), &r, &e) == -1 && e.kind == CAXTON_A2A_RPC_ERROR);
  CHECK(strlen(e.reason) == 510 && valid_utf8(e.reason)); /* 255 whole "é"; the 256th would end at byte 512 */
  caxton_pair params[] = { { CAXTON_STR("X-caxton-http-status"), CAXTON_STR("502") }, { CAXTON_STR("X-caxton-http-context"), CAXTON_STR("caxton-a2a:x") } };
  caxton_agent_id gw = { CAXTON_STR("http@platform"), { NULL, 0 } };
  caxton_message m = caxton_message_new(CAXTON_INFORM);
  m.sender = (caxton_opt_agent_id){ true, gw };
  m.content = caxton_some(caxton_str_c(accents));
  m.user_params = (caxton_pair_list){ params, 2 };
  caxton_a2a_response a;
  CHECK(caxton_a2a_response_of(&m, &a) && !a.ok && a.error.kind == CAXTON_A2A_HTTP_STATUS);
  CHECK(strncmp(a.error.reason, "HTTP 502: \xc3\xa9", 12) == 0 && strlen(a.error.reason) == 410 && valid_utf8(a.error.reason)); /* the body's first 200 characters */
  caxton_a2a_response_free(&a);
  char faces[801] = { 0 }; /* 200 four-byte characters: "HTTP 502: " and 800 bytes is past the buffer */
  for (int i = 0; i < 200; i++) memcpy(faces + 4 * i, "\xf0\x9f\x98\x80", 4);
  m.content = caxton_some(caxton_str_c(faces));
  CHECK(caxton_a2a_response_of(&m, &a) && !a.ok && strlen(a.error.reason) == 510 && valid_utf8(a.error.reason));
  caxton_a2a_response_free(&a);
  caxton_pair why[] = { { CAXTON_STR("X-caxton-failure"), caxton_str_c(accents) }, { CAXTON_STR("X-caxton-http-context"), CAXTON_STR("caxton-a2a:x") } };
  m.performative = CAXTON_FAILURE;
  m.user_params = (caxton_pair_list){ why, 2 };
  CHECK(caxton_a2a_response_of(&m, &a) && !a.ok && a.error.kind == CAXTON_A2A_NO_RESPONSE);
  CHECK(strlen(a.error.failure) == 62 && valid_utf8(a.error.failure) && valid_utf8(a.error.reason));
  caxton_a2a_response_free(&a);
  /* A NUL inside the text is kept: text_len counts it. */
  CHECK(caxton_a2a_result_from_body(CAXTON_STR("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"message\":{\"parts\":[{\"text\":\"a\\u0000b\"}]}}}"), &r, &e) == 0 &&
        r.text_len == 3 && memcmp(r.text, "a\0b", 4) == 0);
  caxton_a2a_result_free(&r);
}

/* {"jsonrpc":"2.0","result":{"task":{"id":"t","status":{…COMPLETED},"artifacts":[{},{},…]}}} with n empty artifacts, malloc'd. */
static char *task_with_artifacts(size_t n, const char *before, const char *after) {
  const char *head = "{\"jsonrpc\":\"2.0\",\"result\":{\"task\":{\"id\":\"t\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\"},\"artifacts\":[";
  char *s = malloc(strlen(before) + strlen(head) + 3 * n + strlen(after) + 8);
  if (!s) return NULL;
  size_t at = (size_t)sprintf(s, "%s%s", before, head);
  /* memcpy, not sprintf per item: this runs on the test agent's fuel. */
  for (size_t i = 0; i < n; i++) {
    memcpy(s + at, ",{}" + !i, 3 - !i);
    at += 3 - !i;
  }
  sprintf(s + at, "]}}}%s", after);
  return s;
}

/* A hostile 180 KB stream event of 60,000 artifacts is refused before it is folded; 1,000 fold. */
static void many_artifacts(void) {
  caxton_a2a_result r;
  caxton_a2a_error e;
  char *many = task_with_artifacts(60000, "data: ", "\n\n");
  CHECK(many && strlen(many) > 180000 && strlen(many) < 192 * 1024);
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(many), &r, &e) == -1 && e.kind == CAXTON_A2A_MALFORMED && eq(e.reason, "the task has more than 1000 artifacts"));
  CHECK(caxton_a2a_result_from_body((caxton_str){ many + 6, strlen(many) - 8 }, &r, &e) == -1 && eq(e.reason, "the task has more than 1000 artifacts"));
  free(many);
  char *bound = task_with_artifacts(1000, "data: ", "\n\n");
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(bound), &r, &e) == 0 && eq(r.state, "completed"));
  caxton_a2a_result_free(&r);
  free(bound);
  /* The 1,001st artifact, added by an update, is refused too; an id seen again is updated in place. */
  char *grown = task_with_artifacts(1000, "data: ", "\n\ndata: {\"jsonrpc\":\"2.0\",\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"new\"}}}}\n\n");
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(grown), &r, &e) == -1 && eq(e.reason, "the task has more than 1000 artifacts"));
  free(grown);
  char *folded = task_with_artifacts(0, "data: ",
                                     "\n\ndata: {\"jsonrpc\":\"2.0\",\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"x\"}]}}}}\n\n"
                                     "data: {\"jsonrpc\":\"2.0\",\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"b\",\"parts\":[{\"text\":\"y\"}]}}}}\n\n"
                                     "data: {\"jsonrpc\":\"2.0\",\"result\":{\"artifactUpdate\":{\"append\":true,\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"z\"}]}}}}\n\n");
  CHECK(caxton_a2a_result_from_sse(caxton_str_c(folded), &r, &e) == 0 && eq(r.text, "xz\ny") && r.text_len == 4);
  caxton_a2a_result_free(&r);
  free(folded);
}

int caxton_sdk_test_a2a(int *check_count, char *first_failure, size_t cap) {
  checks = check_count;
  failed = first_failure;
  failed_cap = cap;
  requests();
  results();
  http_answers();
  streams();
  long_reasons();
  many_artifacts();
  CHECK(strcmp(caxton_a2a_error_kind_name(CAXTON_A2A_MALFORMED), "malformed") == 0 && strcmp(caxton_a2a_error_kind_name(9), "unknown") == 0);
  return failed[0] ? -1 : 0;
}
