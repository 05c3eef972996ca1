// Builds one example agent in a child process for the main job (scripts/main-job.mjs), and says
// why when it fails: the compiler's own last lines, not only "failed".
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** How much of a failed build's output is shown: its last lines, each cut to a terminal's width or so. */
export const FAILURE_LINES = 20;
const LINE_CHARS = 300;
/** What the child keeps of its stderr while it runs (a toolchain install can be chatty). */
const KEPT_BYTES = 256 * 1024;

/**
 * The last lines of a failed build's stderr that say why: from the first FAILED report on (the
 * compiler's diagnostics follow it), else the whole output's tail (a toolchain that could not be
 * installed); blank lines and build-examples' closing summary left out; at most `max` lines.
 */
export function failureLines(stderr, max = FAILURE_LINES) {
  const lines = stderr.split('\n');
  const failed = lines.findIndex((l) => l.startsWith('FAILED'));
  return lines
    .slice(failed < 0 ? 0 : failed + 1)
    .filter((l) => l.trim() !== '' && !/^\d+ example\(s\) failed to build: /.test(l))
    .slice(-max)
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l));
}

/**
 * Builds one example with scripts/build-examples.mjs in a child process (its toolchain installed
 * first when missing), killed with its process group at the deadline. Resolves with its output;
 * rejects with why it failed: the error's message is one line, its `lines` the compiler's last
 * lines (failureLines). `examplesDir` builds from another directory than examples/.
 */
export function buildExample(example, timeoutMs, { examplesDir } = {}) {
  return new Promise((resolve, reject) => {
    const args = ['scripts/build-examples.mjs', ...(examplesDir !== undefined ? ['--examples-dir', examplesDir] : []), example];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-KEPT_BYTES);
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(Object.assign(new Error(`did not finish within ${timeoutMs / 1000} s`), { lines: failureLines(err) }));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve(err);
      const first =
        err
          .split('\n')
          .find((l) => l.startsWith('FAILED') || /failed|error/i.test(l))
          ?.slice(0, LINE_CHARS) ?? `exited with ${code}`;
      reject(Object.assign(new Error(first), { lines: failureLines(err) }));
    });
  });
}
