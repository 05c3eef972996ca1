// The C SDK's own tests, in C: an agent that, on a message "run", exercises the SDK against the
// real host (runtime/test/sandbox/c-agents.test.ts deploys it in the sandbox) and answers
// "sdk-test ok <n> checks" or "sdk-test FAIL: <first failed check> (line N)".
#include <caxton.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks;
static char failed[256];

#define CHECK(cond)                                                                         \
  do {                                                                                      \
    checks++;                                                                               \
    if (!(cond) && !failed[0]) snprintf(failed, sizeof failed, "%s (line %d)", #cond, __LINE__); \
  } while (0)

static caxton_str init_name;

void caxton_on_init(const caxton_init_context *ctx) {
  init_name = caxton_str_c(caxton_str_dup(ctx->self.name));
  CHECK(caxton_str_eq(caxton_self()->name, ctx->self.name));
  CHECK(caxton_config_get(ctx, "missing").ptr == NULL);
}

static void strings(void) {
  caxton_str a = CAXTON_STR("fipa");
  CHECK(a.len == 4);
  CHECK(caxton_str_eq(a, caxton_str_c("fipa")));
  CHECK(!caxton_str_eq(a, CAXTON_STR("fip")));
  CHECK(caxton_str_eq_c(a, "fipa"));
  CHECK(caxton_str_starts_with(CAXTON_STR("contract-net"), "contract"));
  CHECK(!caxton_str_starts_with(CAXTON_STR("con"), "contract"));
  char *d = caxton_str_dup(CAXTON_STR("copy"));
  CHECK(strcmp(d, "copy") == 0);
  free(d);
  CHECK(caxton_str_dup(CAXTON_NONE) == NULL);
  CHECK(caxton_str_c(NULL).ptr == NULL);
  CHECK(!caxton_some(CAXTON_NONE).is_some);
  CHECK(caxton_some(CAXTON_STR("")).is_some);
  CHECK(caxton_opt(caxton_some(CAXTON_STR(""))).ptr != NULL);
  CHECK(caxton_opt((caxton_opt_str){ 0 }).ptr == NULL);
}

static void performatives(void) {
  for (int i = 0; i < CAXTON_PERFORMATIVE_COUNT; i++) {
    CHECK(caxton_parse_performative(caxton_str_c(caxton_performative_name((caxton_performative)i))) == i);
  }
  CHECK(strcmp(caxton_performative_name(CAXTON_ACCEPT_PROPOSAL), "accept-proposal") == 0);
  CHECK(strcmp(caxton_performative_name(CAXTON_SUBSCRIBE), "subscribe") == 0);
  CHECK(strcmp(caxton_performative_name((caxton_performative)22), "unknown") == 0);
  CHECK(caxton_parse_performative(CAXTON_STR("Query-REF")) == CAXTON_QUERY_REF);
  CHECK(caxton_parse_performative(CAXTON_STR("shout")) == -1);
}

static void messages(const caxton_message *msg) {
  CHECK(msg->performative == CAXTON_REQUEST);
  CHECK(caxton_str_eq_c(caxton_opt(msg->content), "run"));
  CHECK(caxton_str_eq_c(caxton_user_param(msg, "X-probe"), "yes"));
  CHECK(caxton_user_param(msg, "X-none").ptr == NULL);
  CHECK(msg->sender.is_some && caxton_str_eq_c(msg->sender.val.name, "tester@test"));

  caxton_message *c = caxton_message_clone(msg);
  CHECK(c->performative == msg->performative);
  CHECK(caxton_str_eq(caxton_opt(c->content), caxton_opt(msg->content)));
  CHECK(c->content.val.ptr != msg->content.val.ptr);
  CHECK(caxton_str_eq(c->sender.val.name, msg->sender.val.name));
  CHECK(c->receivers.len == msg->receivers.len && caxton_str_eq(c->receivers.ptr[0].name, msg->receivers.ptr[0].name));
  CHECK(caxton_str_eq_c(caxton_user_param(c, "X-probe"), "yes"));
  CHECK(caxton_str_eq(caxton_opt(c->conversation_id), caxton_opt(msg->conversation_id)));
  free(c);

  caxton_message r = caxton_create_reply(msg, CAXTON_AGREE, CAXTON_NONE);
  CHECK(r.performative == CAXTON_AGREE);
  CHECK(!r.content.is_some);
  CHECK(r.receivers.len == 1 && caxton_str_eq_c(r.receivers.ptr[0].name, "tester@test"));
  CHECK(caxton_str_eq(caxton_opt(r.conversation_id), caxton_opt(msg->conversation_id)));
  CHECK(caxton_str_eq(caxton_opt(r.in_reply_to), caxton_opt(msg->reply_with)));

  caxton_agent_id other = { CAXTON_STR("other@test"), { NULL, 0 } };
  caxton_message via = caxton_message_new(CAXTON_REQUEST);
  via.sender = (caxton_opt_agent_id){ true, { CAXTON_STR("a@test"), { NULL, 0 } } };
  via.reply_to = caxton_one(&other);
  caxton_message r2 = caxton_create_reply(&via, CAXTON_INFORM, CAXTON_STR("x"));
  CHECK(r2.receivers.len == 1 && caxton_str_eq_c(r2.receivers.ptr[0].name, "other@test"));

  caxton_message m = caxton_message_new(CAXTON_INFORM);
  CHECK(!caxton_is_expired(&m, 10));
  caxton_message_set_reply_by(&m, 100);
  CHECK(caxton_is_expired(&m, 101) && !caxton_is_expired(&m, 100));

  caxton_agent_id *id = caxton_agent_id_clone(&msg->sender.val);
  CHECK(caxton_str_eq(id->name, msg->sender.val.name) && id->name.ptr != msg->sender.val.name.ptr);
  free(id);
}

static void host(const caxton_message *msg) {
  CHECK(caxton_now() > 1600000000000ull);
  caxton_str a = caxton_new_id(), b = caxton_new_id();
  CHECK(a.len > 0 && b.len > 0 && !caxton_str_eq(a, b));
  caxton_message i = caxton_initiate(CAXTON_QUERY_REF, caxton_one(&msg->sender.val), CAXTON_STR("?x"), CAXTON_QUERY_PROTOCOL);
  CHECK(i.conversation_id.is_some && i.reply_with.is_some);
  CHECK(caxton_str_eq_c(caxton_opt(i.protocol), "fipa-query"));

  caxton_message nobody = caxton_message_new(CAXTON_INFORM);
  caxton_str err = CAXTON_NONE;
  CHECK(caxton_send(&nobody, &err) == -1);
  CHECK(err.ptr != NULL && err.len > 0);
  CHECK(caxton_reply(msg, CAXTON_AGREE, CAXTON_NONE) == 0);

  caxton_str protocols[] = { CAXTON_STR(CAXTON_REQUEST_PROTOCOL) };
  caxton_pair props[] = { { CAXTON_STR("k"), CAXTON_STR("v") } };
  caxton_service s = { CAXTON_STR("sdk-test"), CAXTON_STR("testing"), { protocols, 1 }, { NULL, 0 }, { NULL, 0 }, { props, 1 } };
  CHECK(caxton_register_service(&s, NULL) == 0);
  caxton_search_services(CAXTON_STR("nothing-of-this-type"));
  caxton_set_timer(60000, CAXTON_STR("sdk-test-timer"));
  caxton_logf(CAXTON_LOG_DEBUG, "sdk-test %d + %s = %.2f", 1, "one", 2.0);
}

static caxton_message incoming(caxton_performative p, const caxton_agent_id *from, const char *conv, const char *content) {
  caxton_message m = caxton_message_new(p);
  m.sender = (caxton_opt_agent_id){ true, *from };
  m.receivers = caxton_one(caxton_self());
  m.conversation_id = caxton_some(caxton_str_c(conv));
  m.content = caxton_some(caxton_str_c(content));
  m.protocol = caxton_some(CAXTON_STR(CAXTON_CONTRACT_NET));
  return m;
}

static double price_score(const caxton_message *p, void *arg) {
  (void)arg;
  char *t = caxton_str_dup(caxton_opt(p->content));
  double v = t ? -strtod(t, NULL) : NAN; /* cheapest wins */
  free(t);
  return v;
}

static void subscriptions(const caxton_message *msg) {
  caxton_subscriptions t = { 0 };
  caxton_message sub = *msg;
  sub.conversation_id = caxton_some(CAXTON_STR("sub-1"));
  caxton_subscriptions_add(&t, &sub, CAXTON_NONE);
  CHECK(t.len == 1);
  CHECK(caxton_subscriptions_notify(&t, CAXTON_STR("news")) == 1);
  caxton_agent_id stranger = { CAXTON_STR("stranger@test"), { NULL, 0 } };
  caxton_message cancel = incoming(CAXTON_CANCEL, &stranger, "sub-1", "");
  CHECK(!caxton_subscriptions_cancel(&t, &cancel));
  cancel.sender = msg->sender;
  CHECK(caxton_subscriptions_cancel(&t, &cancel));
  CHECK(t.len == 0);
  free(t.items);
}

static void contract_net(void) {
  caxton_contract_net cn = { 0 };
  caxton_agent_id ids[3] = {
    { CAXTON_STR("c1@test"), { NULL, 0 } }, { CAXTON_STR("c2@test"), { NULL, 0 } }, { CAXTON_STR("c3@test"), { NULL, 0 } },
  };
  caxton_cfp_round *r = caxton_cnet_start(&cn, CAXTON_STR("carry"), (caxton_agent_id_list){ ids, 3 }, 5000);
  CHECK(r->state == CAXTON_ROUND_COLLECTING && r->invited_len == 3 && strcmp(r->task, "carry") == 0);
  const char *conv = r->conversation_id;
  caxton_message p1 = incoming(CAXTON_PROPOSE, &ids[0], conv, "30");
  caxton_message p2 = incoming(CAXTON_PROPOSE, &ids[1], conv, "20");
  caxton_message p3 = incoming(CAXTON_REFUSE, &ids[2], conv, "busy");
  caxton_agent_id outsider = { CAXTON_STR("x@test"), { NULL, 0 } };
  caxton_message px = incoming(CAXTON_PROPOSE, &outsider, conv, "1");
  CHECK(caxton_cnet_handle(&cn, &px) == NULL);
  CHECK(caxton_cnet_handle(&cn, &p1) == r && r->last_event == CAXTON_CNET_PROPOSE);
  CHECK(caxton_cnet_handle(&cn, &p2) == r && r->last_event == CAXTON_CNET_PROPOSE);
  CHECK(caxton_cnet_handle(&cn, &p3) == r && r->last_event == CAXTON_CNET_READY);
  CHECK(r->state == CAXTON_ROUND_READY && r->proposals_len == 2 && r->refusals_len == 1);
  caxton_message *best = caxton_cnet_best(r, price_score, NULL);
  CHECK(best && caxton_str_eq_c(best->sender.val.name, "c2@test"));
  caxton_cnet_award(&cn, r, best, CAXTON_STR("go"));
  CHECK(r->state == CAXTON_ROUND_AWARDED && r->winner == best);
  CHECK(caxton_cnet_handle(&cn, &p1) == r && r->last_event == CAXTON_CNET_LATE);
  caxton_message loser_inform = incoming(CAXTON_INFORM, &ids[0], conv, "done?");
  CHECK(caxton_cnet_handle(&cn, &loser_inform) == NULL);
  caxton_message done = incoming(CAXTON_INFORM, &ids[1], conv, "done");
  CHECK(caxton_cnet_handle(&cn, &done) == r && r->state == CAXTON_ROUND_DONE && r->last_event == CAXTON_CNET_RESULT);
  CHECK(r->result && caxton_str_eq_c(caxton_opt(r->result->content), "done"));

  caxton_cfp_round *timed = caxton_cnet_start(&cn, CAXTON_STR("late"), (caxton_agent_id_list){ ids, 2 }, 10);
  char token[128];
  snprintf(token, sizeof token, "contract-net-deadline:%s", timed->conversation_id);
  CHECK(caxton_cnet_on_timer(&cn, CAXTON_STR("other-timer")) == NULL);
  CHECK(caxton_cnet_on_timer(&cn, caxton_str_c(token)) == timed && timed->state == CAXTON_ROUND_NO_BIDS);
  CHECK(caxton_cnet_on_timer(&cn, caxton_str_c(token)) == NULL);

  caxton_cfp_round *empty = caxton_cnet_start(&cn, CAXTON_STR("none"), (caxton_agent_id_list){ NULL, 0 }, 10);
  CHECK(empty->state == CAXTON_ROUND_NO_BIDS);

  caxton_message cfp = incoming(CAXTON_CFP, &ids[0], "c-9", "job");
  caxton_message_set_reply_by(&cfp, 1);
  CHECK(!caxton_propose(&cfp, CAXTON_STR("5")));
  cfp.reply_by.is_some = false;
  CHECK(caxton_propose(&cfp, CAXTON_STR("5")));
}

/* Reading the HTTP gateway's answers is pure (no host call). state and http calls themselves are
   exercised through jco (toolchain/test/native-state-http.test.ts); a2a-test.c's calls (this
   agent's only import besides caxton:agent/host) are refused by the sandbox, nothing leaving. */
static void http_responses(void) {
  caxton_agent_id gw = { CAXTON_STR("http@test"), { NULL, 0 } }; /* the sandbox's agents are name@test */
  caxton_pair params[] = {
    { CAXTON_STR("X-caxton-http-status"), CAXTON_STR("201") },
    { CAXTON_STR("X-caxton-http-context"), CAXTON_STR("asker@p") },
    { CAXTON_STR("X-caxton-http-header-content-type"), CAXTON_STR("text/plain") },
  };
  caxton_message m = caxton_message_new(CAXTON_INFORM);
  m.sender = (caxton_opt_agent_id){ true, gw };
  m.in_reply_to = caxton_some(CAXTON_STR("call-3"));
  m.content = caxton_some(CAXTON_STR("made"));
  m.user_params = (caxton_pair_list){ params, 3 };
  caxton_http_response r;
  CHECK(caxton_http_response_of(&m, &r));
  CHECK(r.status == 201 && r.failure.ptr == NULL && !r.body_base64);
  CHECK(caxton_str_eq_c(r.request_id, "call-3") && caxton_str_eq_c(r.context, "asker@p") && caxton_str_eq_c(r.body, "made"));
  CHECK(caxton_str_eq_c(caxton_http_response_header(&m, "content-type"), "text/plain"));
  caxton_pair why = { CAXTON_STR("X-caxton-failure"), CAXTON_STR("timeout") };
  m.performative = CAXTON_FAILURE;
  m.user_params = (caxton_pair_list){ &why, 1 };
  CHECK(caxton_http_response_of(&m, &r) && r.status == 0 && caxton_str_eq_c(r.failure, "timeout") && r.context.ptr == NULL);
  m.performative = CAXTON_REQUEST;
  CHECK(!caxton_http_response_of(&m, &r));
  m.performative = CAXTON_INFORM;
  m.sender.val.name = CAXTON_STR("httpd@test");
  CHECK(!caxton_http_response_of(&m, &r));
  m.sender.val.name = CAXTON_STR("http@platform"); /* another platform's gateway */
  CHECK(!caxton_http_response_of(&m, &r));
  m.sender.val.name = CAXTON_STR("http@test");
  m.in_reply_to.is_some = false; /* an answer replies to its call */
  CHECK(!caxton_http_response_of(&m, &r));
  CHECK(strcmp(caxton_state_error_kind_name(CAXTON_STATE_READ_ONLY), "read-only") == 0);
  CHECK(strcmp(caxton_http_error_kind_name(CAXTON_HTTP_QUOTA_EXCEEDED), "quota-exceeded") == 0);
}

/* a2a-test.c: the outbound A2A helper's refused calls and its answer reader. */
int caxton_sdk_test_a2a(int *check_count, char *first_failure, size_t cap);

void caxton_on_message(const caxton_message *msg) {
  if (!caxton_str_eq_c(caxton_opt(msg->content), "run")) return;
  strings();
  performatives();
  messages(msg);
  host(msg);
  subscriptions(msg);
  contract_net();
  http_responses();
  caxton_sdk_test_a2a(&checks, failed, sizeof failed);
  CHECK(caxton_str_eq(caxton_self()->name, init_name));
  char report[320];
  int n = failed[0] ? snprintf(report, sizeof report, "sdk-test FAIL: %s", failed)
                    : snprintf(report, sizeof report, "sdk-test ok %d checks", checks);
  caxton_reply(msg, CAXTON_INFORM, (caxton_str){ report, (size_t)n < sizeof report ? (size_t)n : sizeof report - 1 });
}
