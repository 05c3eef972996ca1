/*
 * Interaction protocols: fipa-request and fipa-query initiators, fipa-subscribe (both roles) and
 * fipa-contract-net (both roles), the same model as the AssemblyScript and JavaScript SDKs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "caxton.h"

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) __builtin_trap();
  return q;
}

/* ---- fipa-request / fipa-query ------------------------------------------------------------------ */

static caxton_message open_conversation(caxton_performative p, const caxton_agent_id *receiver, caxton_str content, const char *protocol) {
  caxton_message m = caxton_initiate(p, caxton_one(receiver), content, protocol);
  caxton_send(&m, NULL);
  return m;
}

caxton_message caxton_request(const caxton_agent_id *receiver, caxton_str content) {
  return open_conversation(CAXTON_REQUEST, receiver, content, CAXTON_REQUEST_PROTOCOL);
}

caxton_message caxton_query_ref(const caxton_agent_id *receiver, caxton_str content) {
  return open_conversation(CAXTON_QUERY_REF, receiver, content, CAXTON_QUERY_PROTOCOL);
}

caxton_message caxton_query_if(const caxton_agent_id *receiver, caxton_str content) {
  return open_conversation(CAXTON_QUERY_IF, receiver, content, CAXTON_QUERY_PROTOCOL);
}

/* ---- fipa-subscribe ----------------------------------------------------------------------------- */

static bool same_sender(const caxton_message *a, const caxton_message *b) {
  return a->sender.is_some && b->sender.is_some && caxton_str_eq(a->sender.val.name, b->sender.val.name);
}

static caxton_str conv_key(const caxton_message *m) {
  caxton_str k = caxton_opt(m->conversation_id);
  return k.ptr ? k : (caxton_str){ "", 0 };
}

static long find_subscription(const caxton_subscriptions *t, caxton_str key) {
  for (size_t i = 0; i < t->len; i++) {
    if (caxton_str_eq(conv_key(t->items[i]), key)) return (long)i;
  }
  return -1;
}

void caxton_subscriptions_add(caxton_subscriptions *t, const caxton_message *subscribe, caxton_str agree_content) {
  long at = find_subscription(t, conv_key(subscribe));
  caxton_message *copy = caxton_message_clone(subscribe);
  if (at >= 0) {
    free(t->items[at]);
    t->items[at] = copy;
  } else {
    if (t->len == t->cap) {
      t->cap = t->cap ? t->cap * 2 : 4;
      t->items = xrealloc(t->items, t->cap * sizeof *t->items);
    }
    t->items[t->len++] = copy;
  }
  caxton_reply(subscribe, CAXTON_AGREE, agree_content);
}

bool caxton_subscriptions_cancel(caxton_subscriptions *t, const caxton_message *cancel) {
  long at = find_subscription(t, conv_key(cancel));
  if (at < 0 || !same_sender(t->items[at], cancel)) {
    caxton_reply(cancel, CAXTON_FAILURE, CAXTON_STR("no such subscription"));
    return false;
  }
  free(t->items[at]);
  t->items[at] = t->items[--t->len];
  caxton_reply(cancel, CAXTON_INFORM, CAXTON_STR("subscription cancelled"));
  return true;
}

size_t caxton_subscriptions_notify(caxton_subscriptions *t, caxton_str content) {
  for (size_t i = 0; i < t->len; i++) {
    caxton_message m = caxton_create_reply(t->items[i], CAXTON_INFORM, content);
    caxton_send(&m, NULL);
  }
  return t->len;
}

caxton_message caxton_subscribe(const caxton_agent_id *publisher, caxton_str content) {
  return open_conversation(CAXTON_SUBSCRIBE, publisher, content, CAXTON_SUBSCRIBE_PROTOCOL);
}

void caxton_unsubscribe(const caxton_message *subscription) {
  caxton_message m = caxton_initiate(CAXTON_CANCEL, subscription->receivers, caxton_opt(subscription->content), CAXTON_SUBSCRIBE_PROTOCOL);
  m.conversation_id = subscription->conversation_id;
  caxton_send(&m, NULL);
}

/* ---- fipa-contract-net -------------------------------------------------------------------------- */

#define TOKEN_PREFIX "contract-net-deadline:"
/* Finished rounds are remembered (late proposals still get their reject-proposal) up to this many. */
#define KEEP_FINISHED 256

bool caxton_propose(const caxton_message *cfp, caxton_str content) {
  if (caxton_is_expired(cfp, caxton_now())) return false;
  caxton_reply(cfp, CAXTON_PROPOSE, content);
  return true;
}

static void round_free(caxton_cfp_round *r) {
  free(r->conversation_id);
  free(r->task);
  for (size_t i = 0; i < r->invited_len; i++) free(r->invited[i]);
  free(r->invited);
  for (size_t i = 0; i < r->proposals_len; i++) free(r->proposals[i]);
  free(r->proposals);
  free(r->result);
  free(r);
}

static bool finished_state(caxton_round_state s) {
  return s == CAXTON_ROUND_NO_BIDS || s == CAXTON_ROUND_DONE || s == CAXTON_ROUND_FAILED;
}

/* Forgets the oldest finished rounds beyond KEEP_FINISHED (in start order), never `keep`: the
   round just returned to the caller. */
static void prune(caxton_contract_net *cn, const caxton_cfp_round *keep) {
  size_t finished = 0;
  for (size_t i = 0; i < cn->len; i++) finished += finished_state(cn->rounds[i]->state);
  for (size_t i = 0; i < cn->len && finished > KEEP_FINISHED;) {
    if (finished_state(cn->rounds[i]->state) && cn->rounds[i] != keep) {
      round_free(cn->rounds[i]);
      memmove(&cn->rounds[i], &cn->rounds[i + 1], (cn->len - i - 1) * sizeof *cn->rounds);
      cn->len--;
      finished--;
    } else {
      i++;
    }
  }
}

static caxton_cfp_round *find_round(caxton_contract_net *cn, caxton_str conv) {
  for (size_t i = 0; i < cn->len; i++) {
    if (caxton_str_eq_c(conv, cn->rounds[i]->conversation_id)) return cn->rounds[i];
  }
  return NULL;
}

caxton_cfp_round *caxton_cnet_start(caxton_contract_net *cn, caxton_str task, caxton_agent_id_list contractors, uint32_t timeout_ms) {
  caxton_cfp_round *r = calloc(1, sizeof *r);
  if (!r) __builtin_trap();
  r->task = caxton_str_dup(task.ptr ? task : CAXTON_STR(""));
  r->deadline = caxton_now() + timeout_ms;
  caxton_message cfp = caxton_initiate(CAXTON_CFP, contractors, task, CAXTON_CONTRACT_NET);
  caxton_message_set_reply_by(&cfp, r->deadline);
  r->conversation_id = caxton_str_dup(caxton_opt(cfp.conversation_id));
  r->invited = xrealloc(NULL, contractors.len * sizeof(char *));
  for (size_t i = 0; i < contractors.len; i++) r->invited[i] = caxton_str_dup(contractors.ptr[i].name);
  r->invited_len = contractors.len;
  if (cn->len == cn->cap) {
    cn->cap = cn->cap ? cn->cap * 2 : 8;
    cn->rounds = xrealloc(cn->rounds, cn->cap * sizeof *cn->rounds);
  }
  cn->rounds[cn->len++] = r;
  if (contractors.len == 0) {
    r->state = CAXTON_ROUND_NO_BIDS;
    prune(cn, r);
    return r;
  }
  caxton_send(&cfp, NULL);
  size_t plen = strlen(TOKEN_PREFIX), clen = strlen(r->conversation_id);
  char *token = malloc(plen + clen);
  if (!token) __builtin_trap();
  memcpy(token, TOKEN_PREFIX, plen);
  memcpy(token + plen, r->conversation_id, clen);
  caxton_set_timer(timeout_ms, (caxton_str){ token, plen + clen });
  free(token);
  return r;
}

static bool invited(const caxton_cfp_round *r, caxton_str name) {
  for (size_t i = 0; i < r->invited_len; i++) {
    if (caxton_str_eq_c(name, r->invited[i])) return true;
  }
  return false;
}

static void close_round(caxton_contract_net *cn, caxton_cfp_round *r) {
  r->state = r->proposals_len > 0 ? CAXTON_ROUND_READY : CAXTON_ROUND_NO_BIDS;
  if (r->state == CAXTON_ROUND_NO_BIDS) prune(cn, r);
}

caxton_cfp_round *caxton_cnet_handle(caxton_contract_net *cn, const caxton_message *msg) {
  if (!msg->conversation_id.is_some || !msg->sender.is_some) return NULL;
  caxton_cfp_round *r = find_round(cn, caxton_opt(msg->conversation_id));
  if (!r || !invited(r, msg->sender.val.name)) return NULL;
  uint8_t p = msg->performative;
  if (p == CAXTON_PROPOSE || p == CAXTON_REFUSE) {
    if (r->state != CAXTON_ROUND_COLLECTING) {
      if (p == CAXTON_PROPOSE) caxton_reply(msg, CAXTON_REJECT_PROPOSAL, CAXTON_STR("too late"));
      r->last_event = CAXTON_CNET_LATE;
      return r;
    }
    if (p == CAXTON_PROPOSE) {
      r->proposals = xrealloc(r->proposals, (r->proposals_len + 1) * sizeof *r->proposals);
      r->proposals[r->proposals_len++] = caxton_message_clone(msg);
    } else {
      r->refusals_len++;
    }
    if (r->proposals_len + r->refusals_len == r->invited_len) {
      close_round(cn, r);
      r->last_event = CAXTON_CNET_READY;
    } else {
      r->last_event = p == CAXTON_PROPOSE ? CAXTON_CNET_PROPOSE : CAXTON_CNET_REFUSE;
    }
    return r;
  }
  if (p == CAXTON_INFORM || p == CAXTON_FAILURE) {
    if (r->state != CAXTON_ROUND_AWARDED || !r->winner || !r->winner->sender.is_some ||
        !caxton_str_eq(r->winner->sender.val.name, msg->sender.val.name)) {
      return NULL;
    }
    free(r->result);
    r->result = caxton_message_clone(msg);
    r->state = p == CAXTON_INFORM ? CAXTON_ROUND_DONE : CAXTON_ROUND_FAILED;
    r->last_event = p == CAXTON_INFORM ? CAXTON_CNET_RESULT : CAXTON_CNET_FAILURE;
    prune(cn, r);
    return r;
  }
  if (p == CAXTON_NOT_UNDERSTOOD) {
    r->last_event = CAXTON_CNET_NOT_UNDERSTOOD;
    return r;
  }
  return NULL;
}

caxton_cfp_round *caxton_cnet_on_timer(caxton_contract_net *cn, caxton_str token) {
  if (!caxton_str_starts_with(token, TOKEN_PREFIX)) return NULL;
  size_t n = strlen(TOKEN_PREFIX);
  caxton_cfp_round *r = find_round(cn, (caxton_str){ token.ptr + n, token.len - n });
  if (!r || r->state != CAXTON_ROUND_COLLECTING) return NULL;
  close_round(cn, r);
  return r;
}

void caxton_cnet_award(caxton_contract_net *cn, caxton_cfp_round *r, caxton_message *winner, caxton_str accept_content) {
  (void)cn;
  if (r->state != CAXTON_ROUND_READY) {
    caxton_error("contract net: award() on a round that is not ready");
    __builtin_trap();
  }
  for (size_t i = 0; i < r->proposals_len; i++) {
    if (r->proposals[i] == winner) caxton_reply(winner, CAXTON_ACCEPT_PROPOSAL, accept_content);
    else caxton_reply(r->proposals[i], CAXTON_REJECT_PROPOSAL, CAXTON_STR("proposal rejected"));
  }
  r->winner = winner;
  r->state = CAXTON_ROUND_AWARDED;
}

void caxton_cnet_reject_all(caxton_contract_net *cn, caxton_cfp_round *r, const char *reason) {
  for (size_t i = 0; i < r->proposals_len; i++) caxton_reply(r->proposals[i], CAXTON_REJECT_PROPOSAL, caxton_str_c(reason));
  r->state = CAXTON_ROUND_FAILED;
  prune(cn, r);
}

caxton_message *caxton_cnet_best(caxton_cfp_round *r, double (*score)(const caxton_message *, void *), void *arg) {
  caxton_message *best = NULL;
  double best_score = -INFINITY;
  for (size_t i = 0; i < r->proposals_len; i++) {
    double s = score(r->proposals[i], arg);
    if (!isnan(s) && s > best_score) {
      best = r->proposals[i];
      best_score = s;
    }
  }
  return best;
}
