/* Strings, performatives, messages (deep copies) and FIPA replies. */
#include <stdlib.h>
#include <string.h>

#include "caxton.h"

/* ---- strings ------------------------------------------------------------------------------------ */

caxton_str caxton_str_c(const char *s) {
  return s ? (caxton_str){ s, strlen(s) } : CAXTON_NONE;
}

bool caxton_str_eq(caxton_str a, caxton_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool caxton_str_eq_c(caxton_str a, const char *b) { return caxton_str_eq(a, caxton_str_c(b)); }

bool caxton_str_starts_with(caxton_str s, const char *prefix) {
  size_t n = strlen(prefix);
  return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

char *caxton_str_dup(caxton_str s) {
  if (!s.ptr) return NULL;
  char *out = malloc(s.len + 1);
  if (!out) __builtin_trap();
  memcpy(out, s.ptr, s.len);
  out[s.len] = 0;
  return out;
}

caxton_str caxton_pairs_get(caxton_pair_list pairs, const char *key) {
  for (size_t i = 0; i < pairs.len; i++) {
    if (caxton_str_eq_c(pairs.ptr[i].key, key)) {
      caxton_str v = pairs.ptr[i].value;
      return v.ptr ? v : (caxton_str){ "", 0 };
    }
  }
  return CAXTON_NONE;
}

caxton_opt_str caxton_some(caxton_str s) {
  caxton_opt_str o = { 0 };
  if (s.ptr) {
    o.is_some = true;
    o.val = s;
  }
  return o;
}

caxton_str caxton_opt(caxton_opt_str o) {
  if (!o.is_some) return CAXTON_NONE;
  return o.val.ptr ? o.val : (caxton_str){ "", 0 };
}

/* ---- performatives ------------------------------------------------------------------------------ */

static const char *const NAMES[CAXTON_PERFORMATIVE_COUNT] = {
  "accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure", "inform",
  "inform-if", "inform-ref", "not-understood", "propagate", "propose", "proxy", "query-if",
  "query-ref", "refuse", "reject-proposal", "request", "request-when", "request-whenever",
  "subscribe",
};

const char *caxton_performative_name(caxton_performative p) {
  return (unsigned)p < CAXTON_PERFORMATIVE_COUNT ? NAMES[p] : "unknown";
}

int caxton_parse_performative(caxton_str name) {
  for (int i = 0; i < CAXTON_PERFORMATIVE_COUNT; i++) {
    const char *n = NAMES[i];
    if (strlen(n) != name.len) continue;
    size_t k = 0;
    for (; k < name.len; k++) {
      char c = name.ptr[k];
      if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
      if (c != n[k]) break;
    }
    if (k == name.len) return i;
  }
  return -1;
}

/* ---- messages ----------------------------------------------------------------------------------- */

caxton_message caxton_message_new(caxton_performative p) {
  caxton_message m;
  memset(&m, 0, sizeof m);
  m.performative = (uint8_t)p;
  return m;
}

caxton_agent_id_list caxton_one(const caxton_agent_id *id) {
  return (caxton_agent_id_list){ (caxton_agent_id *)id, 1 };
}

void caxton_message_set_reply_by(caxton_message *m, uint64_t ms) {
  m->reply_by.is_some = true;
  m->reply_by.val = ms;
}

caxton_str caxton_config_get(const caxton_init_context *ctx, const char *key) {
  return caxton_pairs_get(ctx->config, key);
}

caxton_str caxton_user_param(const caxton_message *m, const char *key) {
  return caxton_pairs_get(m->user_params, key);
}

/* Deep copies: one pass to measure, one to copy into a single block (8-aligned pieces). */
typedef struct copier {
  char *out; /* NULL while measuring */
  size_t used;
} copier;

static void *take(copier *c, size_t size) {
  size_t at = (c->used + 7) & ~(size_t)7;
  c->used = at + size;
  return c->out ? c->out + at : NULL;
}

static caxton_str copy_str(copier *c, caxton_str s) {
  if (!s.ptr) return s;
  char *p = take(c, s.len + 1);
  if (!p) return s;
  memcpy(p, s.ptr, s.len);
  p[s.len] = 0;
  return (caxton_str){ p, s.len };
}

static void copy_id(copier *c, caxton_agent_id *dst, const caxton_agent_id *src) {
  caxton_str *addrs = take(c, src->addresses.len * sizeof(caxton_str));
  caxton_str name = copy_str(c, src->name);
  for (size_t i = 0; i < src->addresses.len; i++) {
    caxton_str a = copy_str(c, src->addresses.ptr[i]);
    if (addrs) addrs[i] = a;
  }
  if (dst) {
    dst->name = name;
    dst->addresses = (caxton_str_list){ addrs, src->addresses.len };
  }
}

static caxton_agent_id_list copy_ids(copier *c, caxton_agent_id_list l) {
  caxton_agent_id *ids = take(c, l.len * sizeof(caxton_agent_id));
  for (size_t i = 0; i < l.len; i++) copy_id(c, ids ? &ids[i] : NULL, &l.ptr[i]);
  return (caxton_agent_id_list){ ids, l.len };
}

static caxton_opt_str copy_opt(copier *c, caxton_opt_str o) {
  if (o.is_some) o.val = copy_str(c, o.val);
  return o;
}

static void copy_message(copier *c, caxton_message *dst, const caxton_message *m) {
  caxton_message tmp = *m;
  if (m->sender.is_some) copy_id(c, dst ? &tmp.sender.val : NULL, &m->sender.val);
  tmp.receivers = copy_ids(c, m->receivers);
  tmp.reply_to = copy_ids(c, m->reply_to);
  tmp.content = copy_opt(c, m->content);
  tmp.language = copy_opt(c, m->language);
  tmp.encoding = copy_opt(c, m->encoding);
  tmp.ontology = copy_opt(c, m->ontology);
  tmp.protocol = copy_opt(c, m->protocol);
  tmp.conversation_id = copy_opt(c, m->conversation_id);
  tmp.reply_with = copy_opt(c, m->reply_with);
  tmp.in_reply_to = copy_opt(c, m->in_reply_to);
  caxton_pair *pairs = take(c, m->user_params.len * sizeof(caxton_pair));
  for (size_t i = 0; i < m->user_params.len; i++) {
    caxton_pair p = { copy_str(c, m->user_params.ptr[i].key), copy_str(c, m->user_params.ptr[i].value) };
    if (pairs) pairs[i] = p;
  }
  tmp.user_params = (caxton_pair_list){ pairs, m->user_params.len };
  if (dst) *dst = tmp;
}

caxton_message *caxton_message_clone(const caxton_message *m) {
  copier c = { NULL, 0 };
  take(&c, sizeof(caxton_message));
  copy_message(&c, NULL, m);
  char *block = malloc(c.used);
  if (!block) __builtin_trap();
  c = (copier){ block, 0 };
  caxton_message *dst = take(&c, sizeof(caxton_message));
  copy_message(&c, dst, m);
  return dst;
}

caxton_agent_id *caxton_agent_id_clone(const caxton_agent_id *id) {
  copier c = { NULL, 0 };
  take(&c, sizeof(caxton_agent_id));
  copy_id(&c, NULL, id);
  char *block = malloc(c.used);
  if (!block) __builtin_trap();
  c = (copier){ block, 0 };
  caxton_agent_id *dst = take(&c, sizeof(caxton_agent_id));
  copy_id(&c, dst, id);
  return dst;
}

/* ---- replies ------------------------------------------------------------------------------------ */

caxton_message caxton_create_reply(const caxton_message *to, caxton_performative p, caxton_str content) {
  caxton_message r = caxton_message_new(p);
  if (to->reply_to.len > 0) r.receivers = to->reply_to;
  else if (to->sender.is_some) r.receivers = caxton_one(&to->sender.val);
  r.content = caxton_some(content);
  r.conversation_id = to->conversation_id;
  r.in_reply_to = to->reply_with;
  r.protocol = to->protocol;
  r.language = to->language;
  r.ontology = to->ontology;
  r.encoding = to->encoding;
  return r;
}

int caxton_reply(const caxton_message *to, caxton_performative p, caxton_str content) {
  caxton_message r = caxton_create_reply(to, p, content);
  return caxton_send(&r, NULL);
}

caxton_message caxton_initiate(caxton_performative p, caxton_agent_id_list receivers, caxton_str content, const char *protocol) {
  caxton_message m = caxton_message_new(p);
  m.receivers = receivers;
  m.content = caxton_some(content);
  m.protocol = caxton_some(caxton_str_c(protocol));
  m.conversation_id = caxton_some(caxton_new_id());
  m.reply_with = caxton_some(caxton_new_id());
  return m;
}

int caxton_agree(const caxton_message *request, caxton_str content) {
  return caxton_reply(request, CAXTON_AGREE, content);
}

int caxton_refuse(const caxton_message *request, const char *reason) {
  return caxton_reply(request, CAXTON_REFUSE, caxton_str_c(reason));
}

int caxton_inform_done(const caxton_message *request, caxton_str content) {
  return caxton_reply(request, CAXTON_INFORM, content.ptr ? content : CAXTON_STR("done"));
}

int caxton_inform_result(const caxton_message *request, caxton_str result) {
  return caxton_reply(request, CAXTON_INFORM, result);
}

int caxton_failure(const caxton_message *request, const char *reason) {
  return caxton_reply(request, CAXTON_FAILURE, caxton_str_c(reason));
}

int caxton_not_understood(const caxton_message *msg, const char *reason) {
  return caxton_reply(msg, CAXTON_NOT_UNDERSTOOD, caxton_str_c(reason));
}

bool caxton_is_expired(const caxton_message *msg, uint64_t now_ms) {
  return msg->reply_by.is_some && now_ms > msg->reply_by.val;
}
