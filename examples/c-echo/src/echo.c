// Echo: answers every message with an `inform` carrying the same content.
#include <caxton.h>

void caxton_on_message(const caxton_message *msg) {
  caxton_reply(msg, CAXTON_INFORM, caxton_opt(msg->content));
}
