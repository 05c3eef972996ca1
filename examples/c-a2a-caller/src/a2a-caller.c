// Answers a `request` by asking an A2A agent, then replying to the requester with its answer:
// the C twin of examples/js-a2a-caller (same config, same answers).
//
//   config a2a-url=https://agent.example/a2a/jsonrpc   (required: the agent's JSON-RPC endpoint;
//                                                       its host must be allowed: --allow-http)
//   config a2a-token=<bearer token>                    (optional: sent as Authorization: Bearer)
//   config a2a-version=1.0|0.3                         (default 1.0)
//   request "<text>" -> inform "<the A2A task's text>"          (task completed, or a Message)
//                    -> failure "a2a task <state>: <text>"     (failed, rejected, canceled…)
//                    -> failure "a2a call failed: <error>"     (no response, HTTP or JSON-RPC error, malformed)
//                    -> failure "a2a call refused: <error>"    (the call could not leave)
//
// The call does not block: whom to answer travels in the call's context and comes back with the
// answer, so nothing is kept in memory in between.
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *url, *token, *version;

void caxton_on_init(const caxton_init_context *ctx) {
  url = caxton_str_dup(caxton_config_get(ctx, "a2a-url"));
  token = caxton_str_dup(caxton_config_get(ctx, "a2a-token"));
  version = caxton_str_dup(caxton_config_get(ctx, "a2a-version"));
  if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
    caxton_fail("config a2a-url must be an http:// or https:// URL");
  }
}

/* Whom to answer: four fields (sender, reply-with, conversation-id, protocol), each "-" when
   absent or "<length>:<bytes>", so any bytes survive the trip. */
enum { TO, REPLY_WITH, CONVERSATION, PROTOCOL, FIELDS };

static size_t put_field(char *out, caxton_str s) {
  if (!s.ptr) {
    if (out) *out = '-';
    return 1;
  }
  char len[24];
  int n = snprintf(len, sizeof len, "%zu:", s.len);
  if (out) {
    memcpy(out, len, (size_t)n);
    memcpy(out + n, s.ptr, s.len);
  }
  return (size_t)n + s.len;
}

static char *answer_context(const caxton_message *msg, size_t *len) {
  caxton_str f[FIELDS] = { msg->sender.is_some ? msg->sender.val.name : CAXTON_NONE, caxton_opt(msg->reply_with),
                           caxton_opt(msg->conversation_id), caxton_opt(msg->protocol) };
  size_t n = 0;
  for (int i = 0; i < FIELDS; i++) n += put_field(NULL, f[i]);
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t at = 0;
  for (int i = 0; i < FIELDS; i++) at += put_field(out + at, f[i]);
  *len = at;
  return out;
}

/* Reads the four fields back (pointing into ctx); false when ctx is not one of ours. */
static bool read_context(caxton_str ctx, caxton_str f[FIELDS]) {
  size_t at = 0;
  for (int i = 0; i < FIELDS; i++) {
    if (at < ctx.len && ctx.ptr[at] == '-') {
      f[i] = CAXTON_NONE;
      at++;
      continue;
    }
    size_t len = 0, digits = 0;
    while (at < ctx.len && ctx.ptr[at] >= '0' && ctx.ptr[at] <= '9' && digits < 9) len = len * 10 + (size_t)(ctx.ptr[at++] - '0'), digits++;
    if (!digits || at >= ctx.len || ctx.ptr[at] != ':' || ctx.len - at - 1 < len) return false;
    f[i] = (caxton_str){ ctx.ptr + at + 1, len };
    at += 1 + len;
  }
  return at == ctx.len && f[TO].ptr;
}

static void answer(caxton_str ctx[FIELDS], caxton_performative p, caxton_str content) {
  caxton_agent_id to = { ctx[TO], { NULL, 0 } };
  caxton_message m = caxton_message_new(p);
  m.receivers = caxton_one(&to);
  m.content = caxton_some(content);
  m.in_reply_to = caxton_some(ctx[REPLY_WITH]);
  m.conversation_id = caxton_some(ctx[CONVERSATION]);
  m.protocol = caxton_some(ctx[PROTOCOL]);
  caxton_send(&m, NULL);
}

static void on_a2a_response(const caxton_a2a_response *r) {
  caxton_str ctx[FIELDS];
  if (!read_context(r->context, ctx)) {
    caxton_logf(CAXTON_LOG_WARN, "a2a answer %.*s carries no answer context; dropped", (int)r->request_id.len, r->request_id.ptr);
    return;
  }
  if (!r->ok) {
    char text[sizeof r->error.reason + 64];
    snprintf(text, sizeof text, "a2a call failed: a2a: %s: %s", caxton_a2a_error_kind_name(r->error.kind), r->error.reason);
    answer(ctx, CAXTON_FAILURE, caxton_str_c(text));
    return;
  }
  const caxton_a2a_result *res = &r->result;
  if (!res->is_task || caxton_str_eq_c(res->state, "completed")) {
    answer(ctx, CAXTON_INFORM, res->text);
    return;
  }
  /* "a2a task <state>: <text>", the text by its length (it may hold NULs). */
  size_t cap = sizeof "a2a task : " + res->state.len + res->text.len;
  char *text = malloc(cap);
  if (!text) {
    caxton_fail("out of memory"); /* ends the handling once it returns */
    return;
  }
  int n = snprintf(text, cap, "a2a task %.*s: ", (int)res->state.len, res->state.ptr);
  if (res->text.len) memcpy(text + n, res->text.ptr, res->text.len);
  answer(ctx, CAXTON_FAILURE, (caxton_str){ text, (size_t)n + res->text.len });
  free(text);
}

void caxton_on_message(const caxton_message *msg) {
  caxton_a2a_response r;
  if (caxton_a2a_response_of(msg, &r)) {
    on_a2a_response(&r);
    caxton_a2a_response_free(&r);
    return;
  }
  if (msg->performative != CAXTON_REQUEST) {
    if (msg->performative != CAXTON_NOT_UNDERSTOOD && msg->performative != CAXTON_FAILURE) caxton_not_understood(msg, "send a request");
    return;
  }
  size_t ctx_len = 0;
  char *ctx = answer_context(msg, &ctx_len);
  if (!ctx) {
    caxton_fail("out of memory");
    return;
  }
  caxton_a2a_call call = { .url = caxton_str_c(url), .text = msg->content.is_some ? msg->content.val : CAXTON_STR(""),
                           .token = caxton_str_c(token), .version = caxton_str_c(version), .context = { ctx, ctx_len } };
  caxton_a2a_error err;
  if (caxton_a2a_send(&call, NULL, &err)) {
    char reason[sizeof err.reason + 64];
    snprintf(reason, sizeof reason, "a2a call refused: a2a: %s: %s", caxton_a2a_error_kind_name(err.kind), err.reason);
    caxton_failure(msg, reason);
  }
  free(ctx);
}
