// Files: keeps notes under /data with plain libc (fopen, fwrite, opendir, rename, mkdir, unlink),
// the agent's file system kept in its durable state (decision 2191). Built with "wasi": true so
// wasi-libc's file calls are linked (WASI preview1, adapted to WASI 0.2 by the reactor adapter).
// The same commands as examples/py-files, each request's content one command, each answer an
// inform: write, append, read, ls, mv, rm, fill, truncate, append-crash (logs the file, appends, aborts:
// a crash mid-handling) and escape.
#include <caxton.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT "/data"
#define MAX_FILE (2 * 1024 * 1024)

static char answer[4096];

/** The errno names the tests compare across languages. */
static const char *errno_name(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EPERM: return "EPERM";
  case EIO: return "EIO";
  case EFBIG: return "EFBIG";
  case ENOSPC: return "ENOSPC";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case EEXIST: return "EEXIST";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EROFS: return "EROFS";
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ENOTCAPABLE: return "ENOTCAPABLE";
  case ENOTSUP: return "ENOTSUP";
  default: return "other";
  }
}

static const char *failed(void) {
  snprintf(answer, sizeof answer, "error:%s", errno_name(errno));
  return answer;
}

/** `name` under /data into `out`. */
static void at(char *out, size_t size, const char *name) { snprintf(out, size, ROOT "/%s", name); }

static const char *write_file(const char *name, const char *text, size_t len, const char *mode) {
  char p[1024];
  at(p, sizeof p, name);
  FILE *f = fopen(p, mode);
  if (!f) return failed();
  size_t wrote = fwrite(text, 1, len, f);
  int flushed = fflush(f);
  int saved = errno;
  fclose(f);
  if (wrote != len || flushed != 0) {
    errno = saved;
    return failed();
  }
  return "ok";
}

static const char *read_file(const char *name) {
  char p[1024];
  at(p, sizeof p, name);
  FILE *f = fopen(p, "r");
  if (!f) return failed();
  size_t got = fread(answer, 1, sizeof answer - 1, f);
  fclose(f);
  answer[got] = 0;
  return answer;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *list(const char *name) {
  char p[1024];
  if (*name) at(p, sizeof p, name);
  else snprintf(p, sizeof p, ROOT);
  DIR *d = opendir(p);
  if (!d) return failed();
  char *names[256];
  size_t n = 0;
  for (struct dirent *e; n < 256 && (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    size_t len = strlen(e->d_name);
    char *copy = malloc(len + 2);
    memcpy(copy, e->d_name, len + 1);
    if (e->d_type == DT_DIR) strcpy(copy + len, "/");
    names[n++] = copy;
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  size_t used = 0;
  answer[0] = 0;
  for (size_t i = 0; i < n; i++) {
    used += (size_t)snprintf(answer + used, used < sizeof answer ? sizeof answer - used : 0, "%s%s", i ? "," : "", names[i]);
    free(names[i]);
  }
  return answer;
}

/** mkdir -p of the directories in `name` (not the file itself). */
static int make_parents(const char *name) {
  char p[1024];
  at(p, sizeof p, name);
  for (char *slash = strchr(p + sizeof ROOT, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
    *slash = '/';
  }
  return 0;
}

static const char *escape(void) {
  size_t used = 0;
#define TRY(label, expr)                                                                                           \
  do {                                                                                                             \
    errno = 0;                                                                                                     \
    int ok_ = (expr);                                                                                              \
    used += (size_t)snprintf(answer + used, sizeof answer - used, "%s%s=%s%s", used ? " " : "", label,             \
                             ok_ ? "ok" : "error:", ok_ ? "" : errno_name(errno));                                 \
  } while (0)
  FILE *f;
  TRY("up", (f = fopen(ROOT "/../etc/passwd", "r")) ? (fclose(f), 1) : 0);
  TRY("upup", (f = fopen(ROOT "/a/../../../etc/passwd", "r")) ? (fclose(f), 1) : 0);
  TRY("abs", (f = fopen("/etc/passwd", "r")) ? (fclose(f), 1) : 0);
  TRY("symlink", symlink("/etc/passwd", ROOT "/link") == 0);
  TRY("hardlink", link(ROOT "/notes.txt", ROOT "/hard") == 0);
  char long_name[400];
  memset(long_name, 'n', sizeof long_name);
  memcpy(long_name, ROOT "/", 6);
  long_name[6 + 300] = 0;
  TRY("long", (f = fopen(long_name, "w")) ? (fclose(f), 1) : 0);
  size_t huge_len = 6 + 100000;
  char *huge = malloc(huge_len + 1);
  memcpy(huge, ROOT "/", 6);
  for (size_t i = 6; i < huge_len; i += 2) memcpy(huge + i, "n/", 2);
  huge[huge_len] = 0;
  TRY("huge", (f = fopen(huge, "w")) ? (fclose(f), 1) : 0);
  free(huge);
  return answer;
}

void caxton_on_message(const caxton_message *msg) {
  char *content = caxton_str_dup(caxton_opt(msg->content));
  char *cmd = content, *name = "", *text = "";
  char *sp = strchr(content, ' ');
  if (sp) {
    *sp = 0;
    name = sp + 1;
    char *sp2 = strchr(name, ' ');
    if (sp2) {
      *sp2 = 0;
      text = sp2 + 1;
    }
  }
  const char *out;
  if (!strcmp(cmd, "write")) out = make_parents(name) ? failed() : write_file(name, text, strlen(text), "w");
  else if (!strcmp(cmd, "append")) out = write_file(name, text, strlen(text), "a");
  else if (!strcmp(cmd, "truncate")) out = write_file(name, "", 0, "w");
  else if (!strcmp(cmd, "read")) out = read_file(name);
  else if (!strcmp(cmd, "ls")) out = list(name);
  else if (!strcmp(cmd, "mv")) {
    char from[1024], to[1024];
    at(from, sizeof from, name);
    at(to, sizeof to, text);
    out = rename(from, to) ? failed() : "ok";
  } else if (!strcmp(cmd, "rm")) {
    char p[1024];
    at(p, sizeof p, name);
    out = unlink(p) ? failed() : "ok";
  } else if (!strcmp(cmd, "fill")) {
    size_t n = (size_t)strtoul(text, NULL, 10);
    if (n > MAX_FILE) n = MAX_FILE;
    char *bytes = malloc(n ? n : 1);
    memset(bytes, 'x', n);
    out = write_file(name, bytes, n, "wb");
    free(bytes);
  } else if (!strcmp(cmd, "append-crash")) {
    caxton_logf(CAXTON_LOG_INFO, "before the crash %s holds: %s", name, read_file(name));
    write_file(name, text, strlen(text), "a");
    abort();
  } else if (!strcmp(cmd, "escape")) out = escape();
  else out = "unknown command";
  caxton_reply(msg, CAXTON_INFORM, caxton_str_c(out));
  free(content);
}
