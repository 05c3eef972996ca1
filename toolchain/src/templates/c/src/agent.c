// {{name}}: a Caxton agent in C. `caxton build` compiles this file with the C SDK (caxton.h) into
// build/{{name}}.wasm; `caxton deploy` runs it. See docs/writing-agents.md ("C agents").
//
// Answers a request with an inform echoing its content, answers anything else it does not
// understand with not-understood, and counts the requests it has served (state lives as long as
// the instance).
#include <caxton.h>

static unsigned served;

void caxton_on_init(const caxton_init_context *ctx) {
  caxton_logf(CAXTON_LOG_INFO, "%.*s ready", (int)ctx->self.name.len, ctx->self.name.ptr);
}

void caxton_on_message(const caxton_message *msg) {
  switch (msg->performative) {
    case CAXTON_REQUEST:
      served++;
      caxton_reply(msg, CAXTON_INFORM, caxton_opt(msg->content));
      break;
    case CAXTON_NOT_UNDERSTOOD:
    case CAXTON_FAILURE:
      break; // never answer these (two agents would bounce messages forever)
    default:
      caxton_not_understood(msg, "{{name}} only answers requests");
  }
}
