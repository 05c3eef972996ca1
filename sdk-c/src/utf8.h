/* UTF-8 at a cut (utf8.c): internal to the SDK, not part of the public API. */
#ifndef CAXTON_UTF8_H
#define CAXTON_UTF8_H

#include <stddef.h>

/** The length of s[0..len) without a UTF-8 sequence left incomplete at its end (where a fixed
    buffer cut it): the host reads guest strings as strict UTF-8 and traps on a broken one. */
size_t cx_utf8_whole(const char *s, size_t len);

/** After snprintf/vsnprintf returned `written` into buf[cap]: when the text was cut, ends it
    before an incomplete sequence. Returns the string's length. */
size_t cx_utf8_end_cut(char *buf, size_t cap, int written);

#endif
