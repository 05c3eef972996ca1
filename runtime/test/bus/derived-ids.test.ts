/**
 * Derived message ids are persisted (a re-handled delivery re-sends under the same ids, and the
 * log's dedup recognises them), so their values must never change across versions: these were
 * produced by the implementation of 2026-11-26 before `derivedMessageId` stopped building its
 * hashed text (decision 2150), and any later version must give the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base36, derivedMessageId } from '../../src/bus/ids.js';

test('derived message ids keep their values (parents short, long and non-ASCII; indexes below, at and past the kept suffixes)', () => {
  const cases: [string, number, string][] = [
    ['m-1>echo@caxton', 0, 'd-1woi9op2lbt7mljumtgal'],
    ['m-1>echo@caxton', 1, 'd-823sggapk1az7prdood4'],
    ['d-abc123>pinger-7@caxton', 63, 'd-13n4zvgwac021up1byvkeg'],
    ['d-abc123>pinger-7@caxton', 64, 'd-6w10j9g136122ptjpw1bz'],
    ['', 0, 'd-294i4knraga5867d01bks'],
    ['http:agent:call-9', 0, 'd-1mz10qh2nqn1c3m2bv2g3h'],
    ['agent:timer:t-1#timer', 2, 'd-36lw5dx84v1k9yjgzn2hq'],
    ['ünïcödé>名前', 5, 'd-29ml3uulhal1hgwyjewd0o'],
    ['x'.repeat(300), 12345, 'd-270yh7rnb2ipx7aeftf8c'],
    // Not given by the runtime, but the function is public: any number names its text as before.
    ['m-1>echo@caxton', -1, 'd-gwwtinz8njl28bhxsjhc'],
    ['m-1>echo@caxton', 1.5, 'd-feusvh1lzu1j9w4asoeql'],
    ['m-1>echo@caxton', -0, 'd-1woi9op2lbt7mljumtgal'],
    ['m-1>echo@caxton', 64.25, 'd-21oavylr7ck13i9up2vdiu'],
  ];
  for (const [parent, index, id] of cases) assert.equal(derivedMessageId(parent, index), id, `${parent.slice(0, 30)}#${index}`);
});

test('base36 keeps its digits, including the leading zero of numbers from 2^31 up to 36^6', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [35, 'z'],
    [36, '10'],
    [2147483647, 'zik0zj'],
    [2147483648, '0zik0zk'],
    [2176782335, '0zzzzzz'],
    [2176782336, '1000000'],
    [9007199254740991, '2gosa7pa2gv'],
  ];
  for (const [n, digits] of cases) assert.equal(base36(n), digits, String(n));
});
