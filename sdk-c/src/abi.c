/*
 * The agent world for C on wit-bindgen's generated bindings (bindings.{c,h}, decision 2204): the
 * host imports and the guest exports of caxton.h, and the memory of a call.
 *
 * The structs of caxton.h have the generated ones' layouts (checked field by field in
 * abi-layout.c), so a message the host hands a handler and one an agent sends pass by a cast.
 * What the host allocates for a call (its arguments, an import's results) is handed to the SDK to
 * free; the handler sees it until it returns, as caxton.h promises, and then it is freed
 * (cx_own_*). The generated `cabi_realloc` is malloc's: it lasts, as the WASI adapter needs
 * (decision 2191).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wit.h"
#include "utf8.h"

/* ---- the call's memory -------------------------------------------------------------------------- */

/* What the host allocated during the current call, freed when the handler has returned. */
typedef struct owned {
  struct owned *next;
  enum { OWNED_STR, OWNED_STRS, OWNED_IDS } what;
  union {
    caxton_wit_string_t str;
    caxton_wit_list_string_t strs;
    caxton_agent_types_list_agent_id_t ids;
  } v;
} owned;

static owned *call_owned;

static void own(owned o) {
  owned *node = malloc(sizeof o);
  if (!node) __builtin_trap(); /* out of memory is a crash, like any other allocation failure */
  *node = o;
  node->next = call_owned;
  call_owned = node;
}

void cx_own_str(caxton_wit_string_t s) {
  if (s.len) own((owned){ .what = OWNED_STR, .v.str = s });
}

void cx_own_strs(caxton_wit_list_string_t l) {
  if (l.len) own((owned){ .what = OWNED_STRS, .v.strs = l });
}

void cx_own_ids(caxton_agent_types_list_agent_id_t l) {
  if (l.len) own((owned){ .what = OWNED_IDS, .v.ids = l });
}

static void release_owned(void) {
  while (call_owned) {
    owned *o = call_owned;
    call_owned = o->next;
    if (o->what == OWNED_STR) caxton_wit_string_free(&o->v.str);
    else if (o->what == OWNED_STRS) caxton_wit_list_string_free(&o->v.strs);
    else caxton_agent_types_list_agent_id_free(&o->v.ids);
    free(o);
  }
}

caxton_str cx_nonnull(caxton_str s) { return s.ptr ? s : (caxton_str){ "", 0 }; }

caxton_wit_string_t cx_wit_str(caxton_str s) {
  s = cx_nonnull(s);
  return (caxton_wit_string_t){ (uint8_t *)s.ptr, s.len };
}

caxton_str cx_str(caxton_wit_string_t s) { return (caxton_str){ (const char *)s.ptr, s.len }; }

/* ---- host imports ------------------------------------------------------------------------------- */

int caxton_send(const caxton_message *m, caxton_str *error) {
  caxton_wit_string_t err;
  if (caxton_agent_host_send((caxton_agent_types_acl_message_t *)m, &err)) return 0;
  cx_own_str(err);
  if (error) *error = cx_str(err);
  return -1;
}

void caxton_log(caxton_log_level level, caxton_str message) {
  caxton_wit_string_t s = cx_wit_str(message);
  caxton_agent_host_log((caxton_agent_types_log_level_t)level, &s);
}

void caxton_logf(caxton_log_level level, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* A long line is cut, never in the middle of a character (the host reads strict UTF-8). */
  caxton_log(level, (caxton_str){ buf, cx_utf8_end_cut(buf, sizeof buf, n) });
}

void caxton_trace(const char *m) { caxton_log(CAXTON_LOG_TRACE, caxton_str_c(m)); }
void caxton_debug(const char *m) { caxton_log(CAXTON_LOG_DEBUG, caxton_str_c(m)); }
void caxton_info(const char *m) { caxton_log(CAXTON_LOG_INFO, caxton_str_c(m)); }
void caxton_warn(const char *m) { caxton_log(CAXTON_LOG_WARN, caxton_str_c(m)); }
void caxton_error(const char *m) { caxton_log(CAXTON_LOG_ERROR, caxton_str_c(m)); }

uint64_t caxton_now(void) { return caxton_agent_host_now(); }

caxton_str caxton_new_id(void) {
  caxton_wit_string_t id;
  caxton_agent_host_new_id(&id);
  cx_own_str(id);
  return cx_str(id);
}

void caxton_set_timer(uint32_t delay_ms, caxton_str token) {
  caxton_wit_string_t s = cx_wit_str(token);
  caxton_agent_host_set_timer(delay_ms, &s);
}

int caxton_register_service(const caxton_service *s, caxton_str *error) {
  caxton_service sent = *s;
  sent.name = cx_nonnull(s->name);
  sent.type = cx_nonnull(s->type);
  caxton_wit_string_t err;
  if (caxton_agent_host_register_service((caxton_agent_types_service_description_t *)&sent, &err)) return 0;
  cx_own_str(err);
  if (error) *error = cx_str(err);
  return -1;
}

void caxton_deregister_service(caxton_str name) {
  caxton_wit_string_t s = cx_wit_str(name);
  caxton_agent_host_deregister_service(&s);
}

caxton_agent_id_list caxton_search_services(caxton_str type) {
  caxton_wit_string_t s = cx_wit_str(type);
  caxton_agent_host_list_agent_id_t found;
  caxton_agent_host_search_services(&s, &found);
  cx_own_ids((caxton_agent_types_list_agent_id_t){ found.ptr, found.len });
  return (caxton_agent_id_list){ (caxton_agent_id *)found.ptr, found.len };
}

/* ---- the agent and the guest exports ------------------------------------------------------------ */

static char *pending_error;
static caxton_agent_id *self_id;

void caxton_fail_str(caxton_str reason) {
  free(pending_error);
  reason = cx_nonnull(reason);
  pending_error = malloc(reason.len + 1);
  if (!pending_error) __builtin_trap();
  memcpy(pending_error, reason.ptr, reason.len);
  pending_error[reason.len] = 0;
}

void caxton_fail(const char *reason) { caxton_fail_str(caxton_str_c(reason)); }

const caxton_agent_id *caxton_self(void) {
  static const caxton_agent_id nobody = { { "", 0 }, { NULL, 0 } };
  return self_id ? self_id : &nobody;
}

__attribute__((weak)) void caxton_on_init(const caxton_init_context *ctx) { (void)ctx; }

__attribute__((weak)) void caxton_on_message(const caxton_message *msg) {
  /* Never answer not-understood or failure with not-understood: two default agents would bounce
     messages forever. */
  if (msg->performative != CAXTON_NOT_UNDERSTOOD && msg->performative != CAXTON_FAILURE) {
    caxton_not_understood(msg, "no handler");
  }
}

__attribute__((weak)) void caxton_on_timer(caxton_str token) { (void)token; }

/*
 * The end of every export: what the host allocated for the call is freed, and a failure is handed
 * to the generated code as the error (its post-return frees it; an empty one is a literal).
 */
static bool finish(caxton_wit_string_t *err) {
  release_owned();
  char *reason = pending_error;
  pending_error = NULL;
  if (!reason) return true;
  size_t len = strlen(reason);
  if (len == 0) free(reason);
  *err = len ? (caxton_wit_string_t){ (uint8_t *)reason, len } : (caxton_wit_string_t){ (uint8_t *)"", 0 };
  return false;
}

bool exports_caxton_agent_guest_init(caxton_agent_types_init_context_t *ctx, caxton_wit_string_t *err) {
  free(self_id);
  self_id = caxton_agent_id_clone((const caxton_agent_id *)&ctx->self);
  caxton_on_init((const caxton_init_context *)ctx);
  caxton_agent_types_init_context_free(ctx);
  return finish(err);
}

bool exports_caxton_agent_guest_handle(caxton_agent_types_acl_message_t *msg, caxton_wit_string_t *err) {
  caxton_on_message((const caxton_message *)msg);
  caxton_agent_types_acl_message_free(msg);
  return finish(err);
}

bool exports_caxton_agent_guest_on_timer(caxton_wit_string_t *token, caxton_wit_string_t *err) {
  caxton_on_timer(cx_str(*token));
  caxton_wit_string_free(token);
  return finish(err);
}
