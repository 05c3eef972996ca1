// HOSTILE TEST AGENT. "count" answers inform with a per-instance counter (so a test can see a
// fresh instance); any other message spins forever. The runtime must end it out of fuel.
#include <caxton.h>
#include <stdio.h>

static unsigned count;
static volatile unsigned sink;

void caxton_on_message(const caxton_message *msg) {
  if (caxton_str_eq_c(caxton_opt(msg->content), "count")) {
    char text[16];
    int n = snprintf(text, sizeof text, "%u", ++count);
    caxton_reply(msg, CAXTON_INFORM, (caxton_str){ text, (size_t)n });
    return;
  }
  for (;;) sink++;
}
