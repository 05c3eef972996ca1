/*
 * UTF-8 at a cut: text the SDK copies into its fixed buffers (caxton_a2a_error's reason and
 * failure, caxton_logf's line) is cut at their size, which can split a character. The host lifts
 * guest strings with a strict decoder, so an agent passing such a text on would trap; the cut is
 * moved back to the start of the broken character.
 */
#include "utf8.h"

size_t cx_utf8_whole(const char *s, size_t len) {
  /* The last lead byte (not 10xxxxxx), at most 3 continuation bytes back. */
  size_t lead = len;
  for (size_t back = 0; back < 4 && lead > 0; back++) {
    lead--;
    if (((unsigned char)s[lead] & 0xC0) != 0x80) break;
  }
  if (lead == len) return len;
  unsigned char c = (unsigned char)s[lead];
  size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  return lead + need > len ? lead : len;
}

size_t cx_utf8_end_cut(char *buf, size_t cap, int written) {
  if (cap == 0) return 0;
  if (written < 0) {
    buf[0] = 0;
    return 0;
  }
  if ((size_t)written < cap) return (size_t)written;
  size_t len = cx_utf8_whole(buf, cap - 1);
  buf[len] = 0;
  return len;
}
