// Contract-net contractor (participant role of fipa-contract-net), like as-contractor.
//
// On init it registers a service of type `service-type` (default "delivery"). On a cfp it either
// refuses (config `decline` = "true") or proposes its price: config `price`, else a stable
// per-agent price derived from its name, so several copies of this one artifact bid differently
// (an expired cfp is ignored). On accept-proposal it performs the task and answers inform-result
// (or failure when config `fail-on-award` = "true"); reject-proposal is logged. With config
// `topic` it also subscribes to that topic at init, taking only cfps (a content filter; decision
// 1961), so an initiator can call for proposals with the receiver `topic:<topic>`.
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double price;
static bool decline;
static bool fail_on_award;
static int jobs;
static char price_text[32];

/* FNV-1a over the name's bytes: the same name always gives the same price (10..99). */
static double stable_price(caxton_str name) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < name.len; i++) {
    h ^= (uint8_t)name.ptr[i];
    h *= 16777619u;
  }
  return (double)(10 + h % 90);
}

static bool is_true(caxton_str s) { return caxton_str_eq_c(s, "true"); }

void caxton_on_init(const caxton_init_context *ctx) {
  caxton_str p = caxton_config_get(ctx, "price");
  if (p.ptr) {
    char *text = caxton_str_dup(p), *end = NULL;
    price = strtod(text, &end);
    bool bad = end == text || *end != 0 || !(price >= 0);
    free(text);
    if (bad) {
      caxton_fail("config price must be a non-negative number");
      return;
    }
  } else {
    price = stable_price(ctx->self.name);
  }
  decline = is_true(caxton_config_get(ctx, "decline"));
  fail_on_award = is_true(caxton_config_get(ctx, "fail-on-award"));
  /* "50" for whole prices, else the shortest round-trip form. */
  if (price == (double)(long long)price && price < 1e15) snprintf(price_text, sizeof price_text, "%lld", (long long)price);
  else snprintf(price_text, sizeof price_text, "%.17g", price);

  caxton_str type = caxton_config_get(ctx, "service-type");
  if (!type.ptr) type = CAXTON_STR("delivery");
  char name[256];
  int n = snprintf(name, sizeof name, "%.*s/%.*s", (int)ctx->self.name.len, ctx->self.name.ptr, (int)type.len, type.ptr);
  caxton_str protocols[] = { CAXTON_STR(CAXTON_CONTRACT_NET) };
  caxton_pair props[] = { { CAXTON_STR("price"), caxton_str_c(price_text) } };
  caxton_service service = {
    .name = { name, (size_t)n < sizeof name ? (size_t)n : sizeof name - 1 },
    .type = type,
    .protocols = { protocols, 1 },
    .properties = { props, 1 },
  };
  caxton_str err;
  if (caxton_register_service(&service, &err) != 0) {
    caxton_logf(CAXTON_LOG_ERROR, "cannot register service: %.*s", (int)err.len, err.ptr);
    caxton_fail("cannot register service");
  }
  caxton_str topic = caxton_config_get(ctx, "topic");
  if (topic.ptr) {
    caxton_topic_error terr;
    if (caxton_topics_subscribe(topic, CAXTON_STR("{\"all\":[{\"field\":\"performative\",\"match\":{\"equals\":\"cfp\"}}]}"), &terr) != 0) {
      caxton_logf(CAXTON_LOG_ERROR, "cannot subscribe: %s: %.*s", caxton_topic_error_kind_name(terr.kind), (int)terr.message.len, terr.message.ptr);
      caxton_fail("cannot subscribe");
    }
  }
}

void caxton_on_message(const caxton_message *msg) {
  caxton_str task = caxton_opt(msg->content);
  if (!task.ptr) task = CAXTON_STR("");
  switch (msg->performative) {
    case CAXTON_CFP:
      if (decline) caxton_refuse(msg, "not taking work");
      else if (!caxton_propose(msg, caxton_str_c(price_text)))
        caxton_logf(CAXTON_LOG_INFO, "ignored an expired cfp: %.*s", (int)task.len, task.ptr);
      break;
    case CAXTON_ACCEPT_PROPOSAL: {
      char text[512];
      if (fail_on_award) {
        snprintf(text, sizeof text, "could not perform %.*s", (int)task.len, task.ptr);
        caxton_failure(msg, text);
        break;
      }
      jobs++;
      const caxton_agent_id *me = caxton_self();
      int n = snprintf(text, sizeof text, "done: %.*s by %.*s for %s", (int)task.len, task.ptr,
                       (int)me->name.len, me->name.ptr, price_text);
      caxton_inform_result(msg, (caxton_str){ text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1 });
      break;
    }
    case CAXTON_REJECT_PROPOSAL:
      caxton_logf(CAXTON_LOG_INFO, "lost the bid for %.*s", (int)task.len, task.ptr);
      break;
    case CAXTON_NOT_UNDERSTOOD:
    case CAXTON_FAILURE:
      break;
    default:
      caxton_not_understood(msg, "I only take part in fipa-contract-net");
  }
}
