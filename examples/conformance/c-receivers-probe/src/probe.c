// TEST AGENT: the C twin of conformance/receivers-probe (decision 2001); logs the same lines:
//   got self=<names in msg->receivers> param=<X-caxton-receivers or -> count=<receiver-count>
//   all=<n> first=<name> last=<name>        the whole list, paged 256 at a time
//   page <offset> <limit>: ok <n> | <kind>: <message>
// and in init "init count=<n> page: <kind>".
#include <caxton.h>
#include <string.h>

static void page_line(uint32_t offset, uint32_t limit) {
  caxton_agent_id_list page;
  caxton_message_info_error err;
  if (caxton_receivers(offset, limit, &page, &err) == 0) {
    caxton_logf(CAXTON_LOG_INFO, "page %u %u: ok %u", offset, limit, (unsigned)page.len);
  } else {
    caxton_logf(CAXTON_LOG_INFO, "page %u %u: %s: %.*s", offset, limit, caxton_message_info_error_kind_name(err.kind),
                (int)err.message.len, err.message.ptr);
  }
}

void caxton_on_init(const caxton_init_context *ctx) {
  (void)ctx;
  caxton_agent_id_list page;
  caxton_message_info_error err;
  int rc = caxton_receivers(0, 1, &page, &err);
  caxton_logf(CAXTON_LOG_INFO, "init count=%u page: %s", caxton_receiver_count(), rc == 0 ? "ok" : caxton_message_info_error_kind_name(err.kind));
}

void caxton_on_message(const caxton_message *msg) {
  static char names[4096];
  size_t at = 0;
  for (size_t i = 0; i < msg->receivers.len && at + msg->receivers.ptr[i].name.len + 2 < sizeof names; i++) {
    if (i > 0) names[at++] = ',';
    memcpy(names + at, msg->receivers.ptr[i].name.ptr, msg->receivers.ptr[i].name.len);
    at += msg->receivers.ptr[i].name.len;
  }
  caxton_str param = { "-", 1 };
  for (size_t i = 0; i < msg->user_params.len; i++) {
    caxton_str k = msg->user_params.ptr[i].key;
    if (k.len == 18 && strncmp(k.ptr, "X-caxton-receivers", 18) == 0) param = msg->user_params.ptr[i].value;
  }
  uint32_t count = caxton_receiver_count();
  caxton_logf(CAXTON_LOG_INFO, "got self=%.*s param=%.*s count=%u", (int)at, names, (int)param.len, param.ptr, count);
  uint32_t total = 0;
  caxton_str first = { "", 0 }, last = { "", 0 };
  while (total < count) {
    caxton_agent_id_list page;
    if (caxton_receivers(total, CAXTON_MAX_RECEIVERS_PAGE, &page, NULL) != 0 || page.len == 0) break;
    if (total == 0) first = page.ptr[0].name;
    last = page.ptr[page.len - 1].name;
    total += (uint32_t)page.len;
  }
  caxton_logf(CAXTON_LOG_INFO, "all=%u first=%.*s last=%.*s", total, (int)first.len, first.ptr, (int)last.len, last.ptr);
  page_line(0, 0);
  page_line(0, 257);
  page_line(count + 1, 1);
  page_line(0xffffffffu, 0xffffffffu);
  page_line(count, 1);
  page_line(count > 0 ? count - 1 : 0, 256);
}
