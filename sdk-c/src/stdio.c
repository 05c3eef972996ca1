/*
 * Agents built without WASI have no file descriptors: no stdout, stderr or files. wasi-libc's
 * snprintf/vsnprintf nevertheless link its stdio back ends (stderr.o → __stdio_write → fd_write,
 * and fd_seek/fd_close), which would make every agent that formats a string import WASI and be
 * refused. These definitions replace those back ends (and stdout's) (the archive members are then never
 * linked): formatting into memory works, and writing to stdout/stderr fails quietly (printf
 * returns what it wrote to its buffer, nothing leaves). Log with caxton_log / caxton_logf instead.
 * An agent built with "wasi": true is compiled without this file (its files at /data need the real
 * back ends: decision 2191), so its stdout and stderr become its log lines.
 * Signatures are musl's internal ones (FILE *, off_t = int64).
 */
#include <stddef.h>
#include <stdint.h>

struct _IO_FILE;

size_t __stdio_write(struct _IO_FILE *f, const unsigned char *buf, size_t len) {
  (void)f; (void)buf; (void)len;
  return 0;
}

/* stdout's first write asks whether fd 1 is a terminal (fd_fdstat_get): replaced the same way. */
size_t __stdout_write(struct _IO_FILE *f, const unsigned char *buf, size_t len) {
  (void)f; (void)buf; (void)len;
  return 0;
}

int64_t __stdio_seek(struct _IO_FILE *f, int64_t off, int whence) {
  (void)f; (void)off; (void)whence;
  return -1;
}

int __stdio_close(struct _IO_FILE *f) {
  (void)f;
  return 0;
}
