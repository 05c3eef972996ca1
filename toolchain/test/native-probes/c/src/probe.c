// State and HTTP probe (see ../README.md).
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1024];

static void state_result(int rc, const caxton_state_error *e) {
  if (rc == 0) snprintf(out, sizeof out, "ok");
  else snprintf(out, sizeof out, "err:%s:%.*s", caxton_state_error_kind_name(e->kind), (int)e->message.len, e->message.ptr);
}

static void fetch_result(int rc, caxton_str id, const caxton_http_error *e) {
  if (rc == 0) snprintf(out, sizeof out, "id:%.*s", (int)id.len, id.ptr);
  else snprintf(out, sizeof out, "err:%s:%.*s", caxton_http_error_kind_name(e->kind), (int)e->message.len, e->message.ptr);
}

void caxton_on_message(const caxton_message *msg) {
  char *cmd = caxton_str_dup(caxton_opt(msg->content));
  char *words[4] = { 0 };
  int n = 0;
  for (char *p = cmd; p && n < 4; n++) {
    words[n] = p;
    p = n < 3 ? strchr(p, ' ') : NULL;
    if (p) *p++ = 0;
  }
  caxton_state_error se;
  caxton_http_error he;
  caxton_str id = CAXTON_NONE;
  if (n == 2 && strcmp(words[0], "get") == 0) {
    caxton_str v;
    if (caxton_state_get(caxton_str_c(words[1]), &v)) snprintf(out, sizeof out, "some:%.*s", (int)v.len, v.ptr);
    else snprintf(out, sizeof out, "none");
  } else if (n == 3 && strcmp(words[0], "set") == 0) {
    state_result(caxton_state_set(caxton_str_c(words[1]), caxton_str_c(words[2]), &se), &se);
  } else if (n == 2 && strcmp(words[0], "del") == 0) {
    state_result(caxton_state_delete(caxton_str_c(words[1]), &se), &se);
  } else if (n == 4 && strcmp(words[0], "keys") == 0) {
    caxton_str after = strcmp(words[2], "-") == 0 ? CAXTON_NONE : caxton_str_c(words[2]);
    caxton_str_list keys = caxton_state_keys(caxton_str_c(words[1]), after, (uint32_t)atoi(words[3]));
    size_t at = 0;
    out[0] = 0;
    for (size_t i = 0; i < keys.len && at < sizeof out; i++) {
      at += (size_t)snprintf(out + at, sizeof out - at, "%s%.*s", i ? "," : "", (int)keys.ptr[i].len, keys.ptr[i].ptr);
    }
  } else if (n == 1 && strcmp(words[0], "fetch") == 0) {
    caxton_pair headers[] = { { CAXTON_STR("a"), CAXTON_STR("1") }, { CAXTON_STR("b"), CAXTON_STR("2") } };
    caxton_http_request r = {
      .method = CAXTON_STR("POST"), .url = CAXTON_STR("https://api.example.com/x?y=1"),
      .headers = { headers, 2 }, .body = caxton_some(CAXTON_STR("{\"q\":\"é\"}")),
      .timeout_ms = { true, 2500 }, .context = caxton_some(CAXTON_STR("ctx ✓")),
    };
    fetch_result(caxton_http_fetch(&r, &id, &he), id, &he);
  } else if (n == 1 && strcmp(words[0], "fetch-min") == 0) {
    caxton_http_request r = { .method = CAXTON_STR("GET"), .url = CAXTON_STR("http://h.example/") };
    fetch_result(caxton_http_fetch(&r, &id, &he), id, &he);
  } else {
    snprintf(out, sizeof out, "unknown command");
  }
  free(cmd);
  caxton_reply(msg, CAXTON_INFORM, caxton_str_c(out));
}
