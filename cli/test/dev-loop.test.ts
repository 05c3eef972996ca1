/**
 * The pure parts of `caxton dev` (decision 1930): the debounce of file events, the one-at-a-time
 * rebuilds, which paths count as sources, and the marked text and JSON form of its events. The
 * loop itself runs against a real node in test/e2e/dev-loop.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSourcePath } from '@caxton/toolchain';
import { run } from '../src/app.js';
import { debounce, SerialRuns, type Timers } from '../src/dev/debounce.js';
import { formatDevEvent, shownError, type DevEvent } from '../src/dev/events.js';
import { captureIo as captureIoAt, type CapturedIo } from './support/capture-io.js';

/** Timers driven by the test: `advance(ms)` fires what is due, in order. */
function manualTimers(): Timers & { advance(ms: number): void; count(): number } {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      due.delete(id as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          due.delete(id);
          t.fn();
        }
      }
    },
    count: () => due.size,
  };
}

describe('caxton dev: debounce', () => {
  it('turns a burst of events into one call after the quiet period', () => {
    const timers = manualTimers();
    let calls = 0;
    const d = debounce(() => calls++, 200, timers);
    d.trigger();
    timers.advance(150);
    d.trigger();
    timers.advance(150);
    d.trigger();
    assert.equal(calls, 0, 'still changing: no build yet');
    assert.equal(timers.count(), 1, 'one timer pending, the older ones cleared');
    timers.advance(199);
    assert.equal(calls, 0);
    timers.advance(1);
    assert.equal(calls, 1);
    assert.equal(d.pending, false);
    d.trigger();
    timers.advance(200);
    assert.equal(calls, 2, 'a later save builds again');
  });

  it('cancel drops a pending call; a negative quiet period is refused', () => {
    const timers = manualTimers();
    let calls = 0;
    const d = debounce(() => calls++, 50, timers);
    d.trigger();
    assert.equal(d.pending, true);
    d.cancel();
    timers.advance(100);
    assert.equal(calls, 0);
    assert.throws(() => debounce(() => undefined, -1, timers), RangeError);
  });
});

describe('caxton dev: one rebuild at a time', () => {
  it('coalesces requests made during a run into one more run, and goes on after a failing run', async () => {
    const releases: Array<() => void> = [];
    let runs = 0;
    let overlapping = 0;
    let active = 0;
    const errors: unknown[] = [];
    const serial = new SerialRuns(
      async () => {
        runs++;
        active++;
        overlapping = Math.max(overlapping, active);
        await new Promise<void>((resolve) => releases.push(resolve));
        active--;
        if (runs === 2) throw new Error('build exploded');
      },
      (err) => errors.push(err),
    );
    serial.request();
    serial.request();
    serial.request();
    serial.request();
    assert.equal(runs, 1);
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2, 'three requests during the first run: one more run');
    releases.shift()!();
    await serial.idle();
    assert.equal(runs, 2);
    assert.equal(overlapping, 1, 'never two runs at once');
    assert.equal((errors[0] as Error).message, 'build exploded');
    serial.request();
    assert.equal(runs, 3, 'a failed run does not stop later ones');
    releases.shift()!();
    await serial.idle();
  });
});

describe('caxton dev: what is watched', () => {
  it('counts source files and ignores build outputs, dependencies and hidden files', () => {
    for (const p of ['assembly/index.ts', 'package.json', 'src/lib.rs', 'Cargo.toml', 'app.py', 'src\\agent.c', 'assembly'])
      assert.equal(isSourcePath(p), true, p);
    for (const p of [
      'build',
      'build/echo.wasm',
      'node_modules/x/index.js',
      'target/wasm32/debug/a.wasm',
      '.git/index',
      'assembly/.index.ts.swp',
      '__pycache__/app.cpython-312.pyc',
      'dist/a.js',
      '',
      '.',
      '../outside.ts',
    ])
      assert.equal(isSourcePath(p), false, p);
  });
});

const AT = Date.parse('2026-11-24T07:00:00Z');

describe('caxton dev: events', () => {
  it('marks every text line with where it comes from', () => {
    const lines = (e: DevEvent): string[] =>
      formatDevEvent(e)
        .split('\n')
        .filter((l) => l !== '');
    assert.deepEqual(lines({ event: 'deployed', agent: 'counter', version: 1 }), ['[deploy] deployed counter (version 1)']);
    assert.deepEqual(lines({ event: 'upgraded', agent: 'counter', version: 3, previousVersion: 2 }), [
      '[deploy] upgraded counter: version 2 -> 3, state kept',
    ]);
    const msg = lines({
      event: 'message',
      messageId: 'm1',
      acceptedAt: AT,
      message: { performative: 'inform', sender: { name: 'counter@caxton' }, receivers: [{ name: 'cli@caxton' }], content: 'v2 2' },
    } as DevEvent);
    assert.equal(msg.length, 1);
    assert.match(msg[0]!, /^\[msg\] +.*inform.*counter@caxton -> cli@caxton.*"v2 2"$/);
    assert.match(
      lines({ event: 'log', agent: 'counter', at: AT, level: 'info', message: 'resuming at count 1', nodeId: 'n1' })[0]!,
      /^\[log\] +.*INFO.*resuming at count 1$/,
    );
    const failed = lines({
      event: 'build-failed',
      agent: 'counter',
      error: 'assemblyscript compilation failed:\nERROR TS1109: Expression expected.\n   in assembly/index.ts(21,45)',
      code: 'build.compile-failed',
      hint: 'fix the errors above',
    });
    assert.equal(failed.length, 5);
    for (const l of failed) assert.match(l, /^\[build\] /, 'each line of the compiler output is marked');
    assert.match(failed.join('\n'), /the running version stays/);
    assert.equal(failed.at(-1), '[build]  hint: fix the errors above');
    assert.match(
      lines({ event: 'node', address: '127.0.0.1:4000', started: true, dataDir: '/tmp/d' })[1]!,
      /caxton --addr 127\.0\.0\.1:4000 --data-dir \/tmp\/d <command>/,
    );
    assert.match(lines({ event: 'node', address: '10.0.0.1:50051', started: false })[0]!, /attached .* Ctrl-C leaves it running/);
  });

  it('shows an error by its message, code and hint', () => {
    const err = Object.assign(new Error('no'), { code: 'build.compile-failed', hint: 'fix it' });
    assert.deepEqual(shownError(err), { error: 'no', code: 'build.compile-failed', hint: 'fix it' });
    assert.deepEqual(shownError(new Error('plain')), { error: 'plain' });
    assert.deepEqual(shownError('text'), { error: 'text' });
  });
});

const captureIo = (): CapturedIo => captureIoAt({}, AT);

describe('caxton dev: the command line', () => {
  it('is listed in the help, and refuses a directory that is not there before starting anything', async () => {
    const help = captureIo();
    assert.equal(await run(['--help'], help), 0);
    assert.match(help.out, /caxton dev \[dir\]/);
    const io = captureIo();
    assert.equal(await run(['dev', 'no-such-project'], io), 2);
    assert.match(io.err, /no-such-project is not a directory/);
  });
});
