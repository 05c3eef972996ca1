// Loaded by `npm test` into every test file's process (`--import`; node's runner passes its own
// flags on to each file's process, decision 2130). It bounds the two ways one file could hold the
// whole run until its global deadline:
//  - a file whose tests are over but whose process does not exit (a timer or handle left alive:
//    runtime's log/kafka/broker-restart once waited 45 min after a failure with one timer alive,
//    agent-kinds' crash test had the same shape). Once the file's root `after` hooks have started,
//    no test is running and none has started or ended for CAXTON_TEST_EXIT_GRACE_S (default 300),
//    the watchdog names the file and what is still open, and exits 1, so the runner reports that
//    file failed and goes on. node runs the root `after` hooks as soon as the tests registered so
//    far are done, which is before the end of a file that registers more after a top-level
//    `await`: hence the activity, counted by root `beforeEach`/`afterEach` hooks;
//  - a file that runs past CAXTON_TEST_FILE_DEADLINE_MIN (default 30; the slowest file took 3.5 min
//    in a CI run at a quarter of this machine's normal speed), whatever it is doing.
// Both timers are unref'd: they never keep a process alive by themselves. A process that is not a
// test file run by the runner (a child that a test spawns inherits NODE_TEST_CONTEXT, never this
// module unless it forwards execArgv, and never a *.test.js argv) is left alone.
import { after, afterEach, beforeEach } from 'node:test';
import path from 'node:path';

const file = process.argv[1] ?? '';
const isTestFile = (process.env['NODE_TEST_CONTEXT'] ?? '').startsWith('child') && /\.test\.m?js$/.test(file);

/** A positive number of the environment variable, or the default. */
function setting(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function stop(why) {
  const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  process.stderr.write(
    `\n✖ test watchdog: ${path.relative(process.cwd(), file)} ${why}; ` +
      `still open: ${open.length === 0 ? 'nothing reported' : open.join(', ')}. ` +
      'It is stopped and reported failed; look for a timer, socket or child process the file leaves alive ' +
      '(raise CAXTON_TEST_EXIT_GRACE_S / CAXTON_TEST_FILE_DEADLINE_MIN only if the machine is simply slow)\n',
  );
  process.exit(1);
}

if (isTestFile) {
  const graceS = setting('CAXTON_TEST_EXIT_GRACE_S', 300);
  const deadlineMin = setting('CAXTON_TEST_FILE_DEADLINE_MIN', 30);
  setTimeout(() => stop(`ran past its ${deadlineMin}-minute deadline`), deadlineMin * 60_000).unref();
  // The tests running, by their context: a set, not a count, because node runs `afterEach` for
  // the tests a failed root `before` hook cancels without their `beforeEach` (a count went negative
  // and never reached 0 again).
  const running = new Set();
  let lastActivity = Date.now();
  beforeEach((t) => {
    running.add(t);
    lastActivity = Date.now();
  });
  afterEach((t) => {
    running.delete(t);
    lastActivity = Date.now();
  });
  const check = () => {
    const quietMs = Date.now() - lastActivity;
    if (running.size === 0 && quietMs >= graceS * 1000) stop(`finished its tests ${graceS} s ago but its process has not exited`);
    else setTimeout(check, Math.max(1000, graceS * 1000 - quietMs)).unref();
  };
  // Registered first, so it runs before the file's own root `after` hooks: the grace covers them.
  after(() => {
    setTimeout(check, graceS * 1000).unref();
  });
}
