/**
 * The benchmarks' request accounting (bench/lib-latency.ts, decision 1204): every request sent ends
 * answered, late or lost; percentiles count lost requests as infinitely slow; the JSON lines say so.
 * Also the /proc/<pid>/stat parser behind the cluster bench's CPU per message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Latency from '../../bench/lib-latency.js';
import type * as ProcStat from '../../bench/lib-proc-stat.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const bench = new URL('../../../bench/dist/', import.meta.url);
const { RequestLedger, percentileOf, percentileResult, accountingResults, LedgerMisuse } = (await import(
  new URL('lib-latency.js', bench).href
)) as typeof Latency;
const { cpuTicksFromStat, processCpuSeconds, hostCpuTicksFromStat, stealPercent } = (await import(
  new URL('lib-proc-stat.js', bench).href
)) as typeof ProcStat;

/** A ledger with `n` requests sent at t = 0..n-1, request i answered after latency(i) or never. */
function ledgerOf(n: number, latency: (i: number) => number | undefined, windowEnd = Infinity): Latency.RequestLedger<number> {
  const ledger = new RequestLedger<number>();
  for (let i = 0; i < n; i++) ledger.send(i, i);
  if (windowEnd !== Infinity) ledger.closeWindow(windowEnd);
  for (let i = 0; i < n; i++) {
    const l = latency(i);
    if (l !== undefined) ledger.answer(i, i + l);
  }
  return ledger;
}

describe('RequestLedger', () => {
  it('puts every sent request in exactly one bucket: answered, late or lost', () => {
    // 10 requests sent at t=0..9, each answered 5 later except #3 and #7; the window closes at 10.
    const account = ledgerOf(10, (i) => (i === 3 || i === 7 ? undefined : 5), 10).settle(100);
    assert.equal(account.sent, 10);
    assert.equal(account.answered, 5); // #0,1,2,4,5 answered at 5..10
    assert.equal(account.late, 3); // #6,8,9 answered at 11, 13, 14
    assert.equal(account.lost, 2);
    assert.equal(account.answered + account.late + account.lost, account.sent);
    assert.deepEqual(account.latencies, [5, 5, 5, 5, 5, 5, 5, 5]);
    assert.equal(account.shortestLostWait, 100 - 7);
  });

  it("keeps a late answer's real latency in the samples", () => {
    const ledger = new RequestLedger<string>();
    ledger.send('a', 0);
    ledger.send('b', 1);
    ledger.closeWindow(2);
    assert.equal(ledger.answer('a', 2), 'answered');
    assert.equal(ledger.answer('b', 501), 'late');
    assert.deepEqual(ledger.settle(600).latencies, [2, 500]);
  });

  it('counts a refused send as lost, and ignores an answer for it', () => {
    const ledger = new RequestLedger<string>();
    ledger.send('a', 0);
    ledger.send('b', 0);
    ledger.refuse('b');
    ledger.refuse('b');
    assert.equal(ledger.awaited, 1);
    assert.equal(ledger.answer('b', 3), 'unknown');
    ledger.answer('a', 1);
    const account = ledger.settle(50);
    assert.deepEqual([account.answered, account.lost, account.refused], [1, 1, 1]);
    assert.equal(account.shortestLostWait, 50, 'a refused request waited until the settle like any lost one');
  });

  it('ignores answers to ids it never sent and counts duplicates once', () => {
    const ledger = new RequestLedger<string>();
    ledger.send('a', 0);
    assert.equal(ledger.answer('warm-up-1', 1), 'unknown');
    assert.equal(ledger.answer('a', 1), 'answered');
    assert.equal(ledger.answer('a', 2), 'duplicate');
    const account = ledger.settle(3);
    assert.deepEqual([account.sent, account.answered, account.duplicates, account.latencies.length], [1, 1, 1, 1]);
  });

  it('refuses misuse with a typed error: an id sent twice, a send after settling', () => {
    const ledger = new RequestLedger<string>();
    ledger.send('a', 0);
    assert.throws(() => ledger.send('a', 1), LedgerMisuse);
    ledger.settle(1);
    assert.throws(
      () => ledger.send('b', 2),
      (err: unknown) => err instanceof LedgerMisuse && /settled/.test(err.message) && err.hint !== undefined,
    );
  });

  it('after the settle, an answer or a refusal changes nothing: the request stays lost', () => {
    const ledger = new RequestLedger<string>();
    ledger.send('a', 0);
    ledger.send('b', 0);
    const account = ledger.settle(10);
    assert.equal(ledger.answer('a', 11), 'after-settle');
    ledger.refuse('b');
    assert.deepEqual([account.lost, account.refused, account.latencies.length], [2, 0, 0]);
  });

  it('settles once: a second settle returns the same account', () => {
    const ledger = ledgerOf(3, () => undefined);
    assert.equal(ledger.settle(10), ledger.settle(99));
  });
});

describe('percentileOf (lost requests are infinitely slow)', () => {
  it('is the nearest-rank percentile when nothing was lost', () => {
    const account = ledgerOf(100, (i) => i + 1).settle(1000); // latencies 1..100
    assert.deepEqual(percentileOf(account, 50), { lost: false, value: 50 });
    assert.deepEqual(percentileOf(account, 99), { lost: false, value: 99 });
    assert.deepEqual(percentileOf(account, 100), { lost: false, value: 100 });
  });

  it('moves the percentile up by the lost requests instead of leaving them out', () => {
    // 1,000 requests, latencies 1..1000 except the 5 fastest are lost: leaving them out would give
    // p99 = 990 over 995 samples; counted as infinite they push p99 to the 990th of 1,000 = 995.
    const account = ledgerOf(1000, (i) => (i < 5 ? undefined : i + 1)).settle(5000);
    assert.deepEqual(percentileOf(account, 99), { lost: false, value: 995 });
  });

  it('reports p99 as lost exactly when more than 1 % were lost', () => {
    const atOnePercent = ledgerOf(1000, (i) => (i < 10 ? undefined : 1)).settle(2000);
    assert.deepEqual(percentileOf(atOnePercent, 99), { lost: false, value: 1 });
    const aboveOnePercent = ledgerOf(1000, (i) => (i < 11 ? undefined : 1)).settle(2000);
    assert.deepEqual(percentileOf(aboveOnePercent, 99), { lost: true, atLeast: 2000 - 10 });
    assert.deepEqual(percentileOf(aboveOnePercent, 50), { lost: false, value: 1 });
  });

  it('a lost percentile is never below a lower one: its bound is at least the slowest answer', () => {
    // Answers take 100; the lost requests were sent last, 5 before the settle: their wait (5) alone
    // would put p99 below p50.
    const account = ledgerOf(100, (i) => (i >= 90 ? undefined : 100)).settle(104);
    assert.deepEqual(percentileOf(account, 50), { lost: false, value: 100 });
    assert.deepEqual(percentileOf(account, 99), { lost: true, atLeast: 100 });
  });

  it('the case from the issue: 2,999 answers of 3,000 requests', () => {
    const account = ledgerOf(3000, (i) => (i === 1234 ? undefined : 2)).settle(10_000);
    assert.equal(account.lost, 1);
    assert.deepEqual(percentileOf(account, 99), { lost: false, value: 2 });
    assert.deepEqual(percentileOf(account, 99.99), { lost: true, atLeast: 10_000 - 1234 });
  });

  it('refuses an empty account and a percentile out of range', () => {
    assert.throws(() => percentileOf(new RequestLedger().settle(0), 99), LedgerMisuse);
    assert.throws(() => percentileOf(ledgerOf(1, () => 1).settle(5), 0), LedgerMisuse);
  });
});

describe('JSON lines', () => {
  it('a measurable percentile is its value; a lost one says LOST and carries its lower bound', () => {
    const ok = percentileResult(ledgerOf(10, () => 1.234).settle(20), {
      bench: 'b',
      metric: 'p99_ms',
      p: 99,
      unit: 'ms',
      digits: 1,
      target: '<= 25',
      note: 'how',
    });
    assert.deepEqual(ok, { bench: 'b', metric: 'p99_ms', value: 1.2, unit: 'ms', target: '<= 25', note: 'how' });
    const lost = percentileResult(ledgerOf(10, (i) => (i < 2 ? undefined : 1)).settle(30_000), {
      bench: 'b',
      metric: 'p99_ms',
      p: 99,
      unit: 'ms',
      digits: 1,
      note: 'how',
    });
    assert.equal(lost.value, 30_000 - 1);
    assert.match(lost.note ?? '', /^LOST: 2 of 10 requests \(20\.00 %\) never answered, so p99 is unbounded/);
    assert.equal('target' in lost, false);
  });

  it('accounts for the requests in four lines, lost with target 0', () => {
    const ledger = ledgerOf(4, (i) => (i === 0 ? undefined : i), 2);
    ledger.send(99, 0);
    ledger.refuse(99);
    const lines = accountingResults('bus', 'memory_', ledger.settle(10), 'open loop');
    assert.deepEqual(
      lines.map((l) => [l.metric, l.value, l.unit]),
      [
        ['memory_requests_sent', 5, 'requests'],
        ['memory_requests_answered', 1, 'requests'], // #1 at 2
        ['memory_requests_late', 2, 'requests'], // #2 at 4, #3 at 6
        ['memory_requests_lost', 2, 'requests'],
      ],
    );
    assert.equal(lines[3]!.target, '= 0');
    assert.match(lines[3]!.note ?? '', /1 of them refused at send/);
    for (const l of lines) assert.deepEqual(JSON.parse(JSON.stringify(l)), l, 'one plain JSON object per line');
  });
});

describe('cpuTicksFromStat', () => {
  it('reads utime + stime after the command name, even one with spaces and parentheses', () => {
    const rest = 'S 1 2 3 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0 999 1000000 2000 18446744073709551615';
    assert.equal(cpuTicksFromStat(`4242 (node) ${rest}`), 1234 + 567);
    assert.equal(cpuTicksFromStat(`4242 (my (odd) proc) ${rest}`), 1234 + 567);
  });

  it('refuses text that is not a stat line', () => {
    assert.throws(() => cpuTicksFromStat('not a stat line'), /unexpected \/proc\/<pid>\/stat format/);
  });

  it('reads this very process: CPU seconds grow with work', { skip: process.platform !== 'linux' }, () => {
    const before = processCpuSeconds(process.pid);
    const until = performance.now() + 150;
    while (performance.now() < until) {
      /* spin */
    }
    assert.ok(processCpuSeconds(process.pid) > before);
  });
});

describe('hostCpuTicksFromStat / stealPercent', () => {
  it('reads the aggregate cpu line (steal is the 8th value) and gives the stolen share between two readings', () => {
    const a = hostCpuTicksFromStat('cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n');
    assert.deepEqual(a, { total: 1000, steal: 35 });
    const b = hostCpuTicksFromStat('cpu  200 0 100 1500 20 0 10 170 0 0\n');
    assert.equal(stealPercent(a, b), (100 * 135) / 1000);
    assert.equal(stealPercent(a, a), 0);
  });

  it('refuses text that is not /proc/stat', () => {
    assert.throws(() => hostCpuTicksFromStat('intr 1 2 3'), /unexpected \/proc\/stat format/);
  });
});
