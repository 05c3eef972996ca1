// HOSTILE TEST AGENT. "count" answers inform with a per-instance counter; "abort" calls abort(),
// "null" stores to an address far outside linear memory, anything else hits
// __builtin_trap(). Each is a wasm trap the runtime must contain: the instance is replaced and the
// next message is handled by a fresh one.
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned count;

void caxton_on_message(const caxton_message *msg) {
  caxton_str content = caxton_opt(msg->content);
  if (caxton_str_eq_c(content, "count")) {
    char text[16];
    int n = snprintf(text, sizeof text, "%u", ++count);
    caxton_reply(msg, CAXTON_INFORM, (caxton_str){ text, (size_t)n });
    return;
  }
  caxton_reply(msg, CAXTON_INFORM, CAXTON_STR("this reply must be discarded"));
  if (caxton_str_eq_c(content, "abort")) abort();
  if (caxton_str_eq_c(content, "null")) {
    volatile int *far = (volatile int *)(uintptr_t)0xfffffff0u;
    *far = 1;
  }
  __builtin_trap();
}
