// The C SDK's outbound A2A helper (caxton_a2a_*): calls the sandbox refuses (this agent's
// deployment has no HTTP policy, so nothing leaves) and what caxton_a2a_response_of reads from
// answer messages shaped as the host sends them (wit/agent.wit, interface a2a) — a Task, a
// Message, a stream's states, each failure kind — and what it must not take for an answer (a
// plain HTTP answer, a message from another agent or platform). Called from sdk-test.c inside
// the real sandbox.
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

static bool eq(caxton_str a, const char *b) { return caxton_str_eq_c(a, b); }
static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Nothing leaves: every call is refused by the host (no HTTP policy), or by the SDK (a bad version). */
static void refusals(void) {
  caxton_pair extra[] = { { CAXTON_STR("x-api-key"), CAXTON_STR("k") } };
  caxton_a2a_call call = { .url = CAXTON_STR("https://agent.example/a2a/jsonrpc"), .text = CAXTON_STR("h\xc3\xa9llo"),
                           .token = CAXTON_STR("tok"), .context_id = CAXTON_STR("ctx-1"), .headers = { extra, 1 },
                           .timeout_ms = { true, 900 }, .context = CAXTON_STR("whom") };
  caxton_str id = CAXTON_STR("untouched");
  caxton_a2a_error e;
  CHECK(caxton_a2a_send(&call, &id, &e) == -1 && e.kind == CAXTON_A2A_REFUSED && eq(id, "untouched"));
  CHECK(starts(e.reason, "denied: ") && strstr(e.reason, "no HTTP policy") != NULL);
  CHECK(e.status == 0 && !e.has_code && e.failure[0] == 0);
  call.version = CAXTON_STR("0.3");
  call.token = CAXTON_NONE;
  CHECK(caxton_a2a_stream(&call, NULL, &e) == -1 && e.kind == CAXTON_A2A_REFUSED && starts(e.reason, "denied: "));
  CHECK(caxton_a2a_stream(&call, NULL, NULL) == -1);
  caxton_a2a_task_call task = { .url = CAXTON_STR("http://a/rpc"), .task_id = CAXTON_STR("t-1") };
  CHECK(caxton_a2a_get(&task, NULL, &e) == -1 && e.kind == CAXTON_A2A_REFUSED && starts(e.reason, "denied: "));
  task.version = CAXTON_STR("0.3");
  CHECK(caxton_a2a_cancel(&task, NULL, &e) == -1 && e.kind == CAXTON_A2A_REFUSED && starts(e.reason, "denied: "));
  call.version = CAXTON_STR("2.0");
  CHECK(caxton_a2a_send(&call, NULL, &e) == -1 && e.kind == CAXTON_A2A_REFUSED &&
        strcmp(e.reason, "invalid-request: the A2A version must be 1.0 or 0.3, got 2.0") == 0);
  task.version = CAXTON_STR("");
  CHECK(caxton_a2a_get(&task, NULL, &e) == -1 && strcmp(e.reason, "invalid-request: the A2A version must be 1.0 or 0.3, got ") == 0);
}

/* http@<this agent's platform>, as the host names its gateway. */
static char gateway_name[300];

static caxton_message answer(caxton_performative p, caxton_pair *params, size_t n, const char *content) {
  caxton_message m = caxton_message_new(p);
  m.sender = (caxton_opt_agent_id){ true, { caxton_str_c(gateway_name), { NULL, 0 } } };
  m.in_reply_to = caxton_some(CAXTON_STR("call-9"));
  if (content) m.content = caxton_some(caxton_str_c(content));
  m.user_params = (caxton_pair_list){ params, n };
  return m;
}

#define P(k, v) { CAXTON_STR(k), CAXTON_STR(v) }

static void results(void) {
  caxton_a2a_response r;
  caxton_pair task[] = { P("X-caxton-a2a-result", "task"), P("X-caxton-a2a-state", "completed"), P("X-caxton-a2a-final", "true"),
                         P("X-caxton-a2a-task-id", "t-1"), P("X-caxton-a2a-context-id", "c-1"), P("X-caxton-http-context", "bob") };
  caxton_message m = answer(CAXTON_INFORM, task, 6, "HELLO");
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && eq(r.request_id, "call-9") && eq(r.context, "bob"));
  CHECK(r.result.is_task && eq(r.result.task_id, "t-1") && eq(r.result.context_id, "c-1") && eq(r.result.state, "completed"));
  CHECK(r.result.is_final && eq(r.result.text, "HELLO") && r.result.message_id.ptr == NULL && r.result.states.len == 0);
  caxton_a2a_response_free(&r);
  /* A task still working; no context, no content. */
  task[1].value = CAXTON_STR("input-required");
  task[2].value = CAXTON_STR("false");
  m = answer(CAXTON_INFORM, task, 5, NULL);
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && eq(r.result.state, "input-required") && !r.result.is_final);
  CHECK(r.context.ptr == NULL && r.result.text.ptr != NULL && r.result.text.len == 0);
  caxton_a2a_response_free(&r);
  /* A Message, its text holding a NUL (kept: text is a caxton_str). */
  caxton_pair message[] = { P("X-caxton-a2a-result", "message"), P("X-caxton-a2a-message-id", "m-1"), P("X-caxton-http-context", "") };
  m = answer(CAXTON_INFORM, message, 3, NULL);
  m.content = caxton_some((caxton_str){ "a\0b", 3 });
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && !r.result.is_task && eq(r.result.message_id, "m-1") && r.result.state.ptr == NULL);
  CHECK(r.result.is_final && r.result.text.len == 3 && memcmp(r.result.text.ptr, "a\0b", 3) == 0 && r.context.ptr && r.context.len == 0);
  CHECK(r.result.task_id.ptr == NULL && r.result.context_id.ptr == NULL);
  caxton_a2a_response_free(&r);
  /* A stream's states, in order. */
  caxton_pair stream[] = { P("X-caxton-a2a-result", "task"), P("X-caxton-a2a-state", "completed"), P("X-caxton-a2a-final", "true"),
                           P("X-caxton-a2a-task-id", "t"), P("X-caxton-a2a-states", "submitted,working,completed") };
  m = answer(CAXTON_INFORM, stream, 5, "HELLO");
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && r.result.states.len == 3);
  CHECK(eq(r.result.states.ptr[0], "submitted") && eq(r.result.states.ptr[1], "working") && eq(r.result.states.ptr[2], "completed"));
  caxton_a2a_response_free(&r);
  CHECK(r.result.states.ptr == NULL && r.result.states.len == 0);
  stream[4].value = CAXTON_STR("");
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && r.result.states.len == 0);
  caxton_a2a_response_free(&r);
  /* A task without its state says unknown. */
  m = answer(CAXTON_INFORM, (caxton_pair[]){ P("X-caxton-a2a-result", "task") }, 1, "x");
  CHECK(caxton_a2a_response_of(&m, &r) && r.ok && eq(r.result.state, "unknown") && !r.result.is_final && eq(r.result.task_id, ""));
  caxton_a2a_response_free(&r);
}

static void failures(void) {
  caxton_a2a_response r;
  caxton_pair rpc[] = { P("X-caxton-a2a-error", "rpc-error"), P("X-caxton-a2a-code", "-32001"), P("X-caxton-http-context", "bob") };
  caxton_message m = answer(CAXTON_FAILURE, rpc, 3, "Task not found (check the id)");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && eq(r.request_id, "call-9") && eq(r.context, "bob"));
  CHECK(r.error.kind == CAXTON_A2A_RPC_ERROR && r.error.has_code && r.error.code == -32001 && strcmp(r.error.reason, "Task not found (check the id)") == 0);
  CHECK(r.error.status == 0 && r.error.failure[0] == 0);
  caxton_a2a_response_free(&r);
  rpc[1].value = CAXTON_STR("x1");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && !r.error.has_code);
  caxton_pair status[] = { P("X-caxton-a2a-error", "http-status"), P("X-caxton-http-status", "401") };
  m = answer(CAXTON_FAILURE, status, 2, "HTTP 401: missing token");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && r.error.kind == CAXTON_A2A_HTTP_STATUS && r.error.status == 401);
  CHECK(strcmp(r.error.reason, "HTTP 401: missing token") == 0 && r.context.ptr == NULL);
  caxton_pair none[] = { P("X-caxton-a2a-error", "no-response"), P("X-caxton-failure", "too-large"), P("X-caxton-http-context", "x") };
  m = answer(CAXTON_FAILURE, none, 3, "no response: too-large");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && r.error.kind == CAXTON_A2A_NO_RESPONSE && strcmp(r.error.failure, "too-large") == 0);
  CHECK(strcmp(r.error.reason, "no response: too-large") == 0 && r.error.status == 0 && eq(r.context, "x"));
  caxton_pair bad[] = { P("X-caxton-a2a-error", "malformed") };
  m = answer(CAXTON_FAILURE, bad, 1, "the answer is not JSON: not json at all");
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && r.error.kind == CAXTON_A2A_MALFORMED && strcmp(r.error.reason, "the answer is not JSON: not json at all") == 0);
  bad[0].value = CAXTON_STR("a-kind-from-the-future");
  m.content = (caxton_opt_str){ 0 };
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && r.error.kind == CAXTON_A2A_MALFORMED && r.error.reason[0] == 0);
  /* A reason is the host's (at most 512 bytes) whole; anything longer is cut between characters. */
  char text[802] = { 0 };
  for (int i = 0; i < 256; i++) memcpy(text + 2 * i, "\xc3\xa9", 2);
  bad[0].value = CAXTON_STR("rpc-error");
  m = answer(CAXTON_FAILURE, bad, 1, text);
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && strlen(r.error.reason) == 512 && memcmp(r.error.reason, text, 512) == 0);
  text[0] = 'a'; /* "a" then 300 "é": byte 512 would split the 256th */
  for (int i = 0; i < 300; i++) memcpy(text + 1 + 2 * i, "\xc3\xa9", 2);
  m = answer(CAXTON_FAILURE, bad, 1, text);
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && strlen(r.error.reason) == 511 && memcmp(r.error.reason, text, 511) == 0);
  for (int i = 0; i < 200; i++) memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4); /* 800 bytes of four-byte characters */
  caxton_pair long_failure[] = { P("X-caxton-a2a-error", "no-response"), { CAXTON_STR("X-caxton-failure"), caxton_str_c(text) } };
  m = answer(CAXTON_FAILURE, long_failure, 2, text);
  CHECK(caxton_a2a_response_of(&m, &r) && !r.ok && strlen(r.error.reason) == 512 && strlen(r.error.failure) == 60); /* 15 whole characters of 63 bytes */
}

/* What is not an A2A answer. */
static void not_answers(void) {
  caxton_a2a_response r;
  caxton_pair task[] = { P("X-caxton-a2a-result", "task"), P("X-caxton-a2a-state", "completed") };
  caxton_message m = answer(CAXTON_INFORM, task, 2, "HELLO");
  CHECK(caxton_a2a_response_of(&m, &r));
  caxton_a2a_response_free(&r);
  caxton_pair plain[] = { P("X-caxton-http-status", "200"), P("X-caxton-http-context", "mine") };
  m = answer(CAXTON_INFORM, plain, 2, "{}");
  CHECK(!caxton_a2a_response_of(&m, &r)); /* the answer to a plain caxton_http_fetch */
  m = answer(CAXTON_INFORM, task, 2, "HELLO");
  m.sender.val.name = CAXTON_STR("mallory@test");
  CHECK(!caxton_a2a_response_of(&m, &r));
  m.sender.val.name = CAXTON_STR("http@elsewhere");
  CHECK(!caxton_a2a_response_of(&m, &r)); /* another platform's gateway */
  m.sender.val.name = CAXTON_STR("http@");
  CHECK(!caxton_a2a_response_of(&m, &r));
  m.sender.is_some = false;
  CHECK(!caxton_a2a_response_of(&m, &r));
  m = answer(CAXTON_REQUEST, task, 2, "HELLO");
  CHECK(!caxton_a2a_response_of(&m, &r));
  m = answer(CAXTON_INFORM, task, 2, "HELLO");
  m.in_reply_to = (caxton_opt_str){ 0 };
  CHECK(!caxton_a2a_response_of(&m, &r));
}

int caxton_sdk_test_a2a(int *check_count, char *first_failure, size_t cap) {
  checks = check_count;
  failed = first_failure;
  failed_cap = cap;
  caxton_str self = caxton_self()->name;
  size_t at = self.len;
  while (at > 0 && self.ptr[at - 1] != '@') at--;
  snprintf(gateway_name, sizeof gateway_name, "http@%.*s", (int)(self.len - at), self.ptr + at);
  CHECK(strcmp(gateway_name, "http@test") == 0); /* the sandbox's agents are name@test */
  refusals();
  results();
  failures();
  not_answers();
  CHECK(strcmp(caxton_a2a_error_kind_name(CAXTON_A2A_MALFORMED), "malformed") == 0 && strcmp(caxton_a2a_error_kind_name(9), "unknown") == 0);
  CHECK(strcmp(caxton_a2a_error_kind_name(CAXTON_A2A_REFUSED), "refused") == 0);
  return failed[0] ? -1 : 0;
}
