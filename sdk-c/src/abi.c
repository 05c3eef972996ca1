/*
 * The canonical ABI of wit/agent.wit for C (wasm32, UTF-8 strings): the world's exports, the host
 * imports and cabi_realloc. The structs in caxton.h are the canonical layouts themselves (checked
 * below), so nothing is copied in or out: the host writes a message into memory it allocated with
 * cabi_realloc and passes its address; a message being sent is read by the host from the caller's
 * struct.
 *
 * Memory the host allocates (arguments, new ids, search results, error strings) and the SDK's own
 * scratch memory belong to the current call: they are freed by the post-return function the host
 * calls after reading the result, so an agent's heap does not grow message by message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caxton.h"
#include "utf8.h"

/* ---- layouts: the numbers of the canonical ABI (see sdk-assemblyscript/assembly/abi/layout.ts) - */
#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(void *) == 4);
CHECK(sizeof(caxton_str) == 8 && _Alignof(caxton_str) == 4);
CHECK(sizeof(caxton_agent_id) == 16);
CHECK(sizeof(caxton_pair) == 16);
CHECK(sizeof(caxton_opt_str) == 12 && offsetof(caxton_opt_str, val) == 4);
CHECK(sizeof(caxton_opt_u64) == 16 && offsetof(caxton_opt_u64, val) == 8);
CHECK(sizeof(caxton_opt_agent_id) == 20 && offsetof(caxton_opt_agent_id, val) == 4);
CHECK(offsetof(caxton_message, sender) == 4);
CHECK(offsetof(caxton_message, receivers) == 24);
CHECK(offsetof(caxton_message, reply_to) == 32);
CHECK(offsetof(caxton_message, content) == 40);
CHECK(offsetof(caxton_message, language) == 52);
CHECK(offsetof(caxton_message, encoding) == 64);
CHECK(offsetof(caxton_message, ontology) == 76);
CHECK(offsetof(caxton_message, protocol) == 88);
CHECK(offsetof(caxton_message, conversation_id) == 100);
CHECK(offsetof(caxton_message, reply_with) == 112);
CHECK(offsetof(caxton_message, in_reply_to) == 124);
CHECK(offsetof(caxton_message, reply_by) == 136);
CHECK(offsetof(caxton_message, user_params) == 152);
CHECK(sizeof(caxton_message) == 160 && _Alignof(caxton_message) == 8);
CHECK(sizeof(caxton_service) == 48);

/* result<_, string>: discriminant u8, the error string at 4. */
typedef struct result_area {
  uint8_t is_err;
  caxton_str err;
} result_area;
CHECK(sizeof(result_area) == 12);

/* ---- per-call memory ---------------------------------------------------------------------------- */

/* Each block carries a 16-byte header (keeps malloc's 16-byte alignment for the payload). */
typedef struct block {
  struct block *next;
  struct block *prev;
  size_t size;
  size_t pad;
} block;

static block *call_blocks;

void *caxton__scratch(size_t size) {
  block *b = malloc(sizeof(block) + (size ? size : 1));
  if (!b) __builtin_trap(); /* out of memory is a crash, like any other allocation failure */
  b->size = size;
  b->prev = NULL;
  b->next = call_blocks;
  if (call_blocks) call_blocks->prev = b;
  call_blocks = b;
  return b + 1;
}

static void scratch_release(void) {
  block *b = call_blocks;
  while (b) {
    block *next = b->next;
    free(b);
    b = next;
  }
  call_blocks = NULL;
}

/**
 * Called by the host to allocate the values it passes in (they live until post-return): the
 * canonical ABI's allocator for an export's arguments and an import's results
 * (`cabi_export_realloc`, `cabi_import_realloc`, which wit-component prefers to `cabi_realloc`).
 */
static void *call_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)align; /* malloc aligns to 16, more than any canonical type needs */
  if (old == NULL) return caxton__scratch(new_size);
  block *b = (block *)old - 1;
  block *next = b->next, *prev = b->prev;
  block *nb = realloc(b, sizeof(block) + (new_size ? new_size : 1));
  if (!nb) __builtin_trap();
  nb->size = new_size;
  if (prev) prev->next = nb; else call_blocks = nb;
  if (next) next->prev = nb;
  (void)old_size;
  return nb + 1;
}

__attribute__((export_name("cabi_export_realloc")))
void *cabi_export_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  return call_realloc(old, old_size, align, new_size);
}

__attribute__((export_name("cabi_import_realloc")))
void *cabi_import_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  return call_realloc(old, old_size, align, new_size);
}

/**
 * Memory that outlives the call: what the WASI preview1 adapter (an agent built with "wasi": true)
 * allocates its own state and its preopened directories' names with, on its first WASI call. Were
 * it the call's scratch, the adapter's state would be freed at the call's end and overwritten by
 * the next call's mallocs (decision 2191).
 */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align; /* malloc aligns to 16 */
  void *p = realloc(old, new_size ? new_size : 1);
  if (!p) __builtin_trap();
  return p;
}

/* ---- host imports (core signatures: strings and lists flatten to ptr, len) ---------------------- */

#define HOST(name) __attribute__((import_module("caxton:agent/host@0.1.0"), import_name(name)))

HOST("send") void host_send(const caxton_message *m, result_area *ret);
HOST("log") void host_log(int32_t level, const char *ptr, size_t len);
HOST("now") uint64_t host_now(void);
HOST("new-id") void host_new_id(caxton_str *ret);
HOST("set-timer") void host_set_timer(uint32_t delay, const char *ptr, size_t len);
/* service-description flattens to 12 values (six slices), within the 16 a call may take flat. */
HOST("register-service") void host_register_service(
    const char *name, size_t name_len, const char *type, size_t type_len,
    caxton_str *protocols, size_t protocols_len, caxton_str *ontologies, size_t ontologies_len,
    caxton_str *languages, size_t languages_len, caxton_pair *properties, size_t properties_len,
    result_area *ret);
HOST("deregister-service") void host_deregister_service(const char *ptr, size_t len);
HOST("search-services") void host_search_services(const char *ptr, size_t len, caxton_agent_id_list *ret);

static int lift_result(const result_area *r, caxton_str *error) {
  if (r->is_err == 0) return 0;
  if (error) *error = r->err;
  return -1;
}

/* An empty string must still carry a valid pointer; NONE strings are sent as "". */
static caxton_str nonnull(caxton_str s) {
  return s.ptr ? s : (caxton_str){ "", 0 };
}

int caxton_send(const caxton_message *m, caxton_str *error) {
  result_area r;
  host_send(m, &r);
  return lift_result(&r, error);
}

void caxton_log(caxton_log_level level, caxton_str message) {
  message = nonnull(message);
  host_log((int32_t)level, message.ptr, message.len);
}

void caxton_logf(caxton_log_level level, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* A long line is cut, never in the middle of a character (the host reads strict UTF-8). */
  host_log((int32_t)level, buf, cx_utf8_end_cut(buf, sizeof buf, n));
}

void caxton_trace(const char *m) { caxton_log(CAXTON_LOG_TRACE, caxton_str_c(m)); }
void caxton_debug(const char *m) { caxton_log(CAXTON_LOG_DEBUG, caxton_str_c(m)); }
void caxton_info(const char *m) { caxton_log(CAXTON_LOG_INFO, caxton_str_c(m)); }
void caxton_warn(const char *m) { caxton_log(CAXTON_LOG_WARN, caxton_str_c(m)); }
void caxton_error(const char *m) { caxton_log(CAXTON_LOG_ERROR, caxton_str_c(m)); }

uint64_t caxton_now(void) { return host_now(); }

caxton_str caxton_new_id(void) {
  caxton_str ret;
  host_new_id(&ret);
  return ret;
}

void caxton_set_timer(uint32_t delay_ms, caxton_str token) {
  token = nonnull(token);
  host_set_timer(delay_ms, token.ptr, token.len);
}

int caxton_register_service(const caxton_service *s, caxton_str *error) {
  result_area r;
  caxton_str name = nonnull(s->name), type = nonnull(s->type);
  host_register_service(name.ptr, name.len, type.ptr, type.len,
      s->protocols.ptr, s->protocols.len, s->ontologies.ptr, s->ontologies.len,
      s->languages.ptr, s->languages.len, s->properties.ptr, s->properties.len, &r);
  return lift_result(&r, error);
}

void caxton_deregister_service(caxton_str name) {
  name = nonnull(name);
  host_deregister_service(name.ptr, name.len);
}

caxton_agent_id_list caxton_search_services(caxton_str type) {
  caxton_agent_id_list ret;
  type = nonnull(type);
  host_search_services(type.ptr, type.len, &ret);
  return ret;
}

/* ---- the agent and the guest exports ------------------------------------------------------------ */

static char *pending_error;
static caxton_agent_id *self_id;
static result_area ret_area;

void caxton_fail_str(caxton_str reason) {
  free(pending_error);
  reason = nonnull(reason);
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

static result_area *finish(void) {
  if (pending_error) {
    ret_area.is_err = 1;
    ret_area.err = (caxton_str){ pending_error, strlen(pending_error) };
  } else {
    ret_area.is_err = 0;
    ret_area.err = (caxton_str){ NULL, 0 };
  }
  return &ret_area;
}

static void post_return(void) {
  free(pending_error);
  pending_error = NULL;
  scratch_release();
}

#define GUEST(name) __attribute__((export_name("caxton:agent/guest@0.1.0#" name)))
#define POST(name) __attribute__((export_name("cabi_post_caxton:agent/guest@0.1.0#" name)))

GUEST("init")
result_area *caxton__init(const char *name, size_t name_len, caxton_str *addresses, size_t addresses_len,
                          caxton_pair *config, size_t config_len) {
  caxton_init_context ctx = {
    .self = { { name, name_len }, { addresses, addresses_len } },
    .config = { config, config_len },
  };
  free(self_id);
  self_id = caxton_agent_id_clone(&ctx.self);
  caxton_on_init(&ctx);
  return finish();
}

GUEST("handle")
result_area *caxton__handle(const caxton_message *msg) {
  caxton_on_message(msg);
  return finish();
}

GUEST("on-timer")
result_area *caxton__on_timer(const char *ptr, size_t len) {
  caxton_on_timer((caxton_str){ ptr, len });
  return finish();
}

POST("init") void caxton__post_init(result_area *r) { (void)r; post_return(); }
POST("handle") void caxton__post_handle(result_area *r) { (void)r; post_return(); }
POST("on-timer") void caxton__post_on_timer(result_area *r) { (void)r; post_return(); }
