// HOSTILE TEST AGENT. "count" answers inform with a per-instance counter; any other message
// allocates 1 MiB blocks with malloc and writes to each of their pages, forever, never freeing. The runtime
// must stop it at the agent's memory cap (memory.grow fails, malloc returns NULL, the agent traps),
// never the host. "soft" stops at the first NULL and answers how many MiB it got instead.
#include <caxton.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned count;
/* Every block is chained from here, so the compiler cannot drop the allocations as unused. */
static void *volatile head;

void caxton_on_message(const caxton_message *msg) {
  caxton_str content = caxton_opt(msg->content);
  char text[32];
  if (caxton_str_eq_c(content, "count")) {
    int n = snprintf(text, sizeof text, "%u", ++count);
    caxton_reply(msg, CAXTON_INFORM, (caxton_str){ text, (size_t)n });
    return;
  }
  bool soft = caxton_str_eq_c(content, "soft");
  for (unsigned mib = 0;; mib++) {
    char *p = malloc(1 << 20);
    if (!p) {
      if (!soft) __builtin_trap();
      int n = snprintf(text, sizeof text, "got %u MiB", mib);
      caxton_reply(msg, CAXTON_INFORM, (caxton_str){ text, (size_t)n });
      return;
    }
    for (size_t i = sizeof(void *); i < (1 << 20); i += 4096) ((volatile char *)p)[i] = (char)mib; /* touch every page */
    *(void **)p = head;
    head = p;
  }
}
