// HOSTILE TEST AGENT, built with "wasi": true so wasi-libc's real file, environment and socket
// calls are linked (they import WASI preview1, adapted to WASI 0.2 by the reactor adapter). On
// every message it tries, through plain libc:
//   1. the environment: getenv("HOME"), getenv("PATH") and how many `environ` entries exist,
//   2. host files: fopen + fread of config `path` (default "/etc/passwd"), and open() of ".",
//   3. only with config `probe-sockets` = "true": accept() on fd 3 (wasi-libc has no socket() or
//      connect(); the adapter implements sock_accept as a trap, so this ends the call).
// It answers inform with a one-line report, e.g. "env=count:0,home:-,path:- fopen=errno:44 read=0
// open=errno:44 sock=skipped". A deny-by-default runtime either refuses it or every probe fails.
#include <caxton.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static char path[256] = "/etc/passwd";
static bool probe_sockets;

void caxton_on_init(const caxton_init_context *ctx) {
  caxton_str p = caxton_config_get(ctx, "path");
  if (p.ptr && p.len < sizeof path) {
    memcpy(path, p.ptr, p.len);
    path[p.len] = 0;
  }
  probe_sockets = caxton_str_eq_c(caxton_config_get(ctx, "probe-sockets"), "true");
}

void caxton_on_message(const caxton_message *msg) {
  char report[512];
  size_t at = 0;
#define ADD(...) at += (size_t)snprintf(report + at, at < sizeof report ? sizeof report - at : 0, __VA_ARGS__)
  size_t env_count = 0;
  for (char **e = environ; e && *e; e++) env_count++;
  const char *home = getenv("HOME"), *p = getenv("PATH");
  ADD("env=count:%zu,home:%s,path:%s", env_count, home ? "SET" : "-", p ? "SET" : "-");

  errno = 0;
  FILE *f = fopen(path, "r");
  size_t got = 0;
  if (f) {
    char buf[256];
    got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ADD(" fopen=ok read=%zu", got);
  } else {
    ADD(" fopen=errno:%d read=0", errno);
  }
  errno = 0;
  int fd = open(".", O_RDONLY);
  if (fd >= 0) { ADD(" open=ok"); close(fd); }
  else ADD(" open=errno:%d", errno);

  if (probe_sockets) {
    errno = 0;
    int s = accept(3, NULL, NULL);
    ADD(" sock=%s:%d", s >= 0 ? "ok" : "errno", s >= 0 ? s : errno);
  } else {
    ADD(" sock=skipped");
  }
  if (at >= sizeof report) at = sizeof report - 1;
  caxton_log(CAXTON_LOG_WARN, (caxton_str){ report, at });
  caxton_reply(msg, CAXTON_INFORM, (caxton_str){ report, at });
}
