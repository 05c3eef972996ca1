/**
 * The journals of `density --cluster` (bench/lib-kinds-journal.ts, pure): answers per request, a
 * killed node's instances leaving memory at its death, overlaps across nodes, keys moved off it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as KindsJournal from '../../bench/lib-kinds-journal.js';

// Compiled to test/dist/bench/; the benchmarks compile to bench/dist/.
const { answersFor, firstAnswerAfterMove, movedOff, overlapOf, parseJournal } = (await import(
  new URL('../../../bench/dist/lib-kinds-journal.js', import.meta.url).href
)) as typeof KindsJournal;

const n1 = parseJournal(
  [
    'S 1 100',
    'A 10 counter/k1',
    'R 12 r1:k1 1',
    'D 20 counter/k1',
    'A 50 counter/k2', // k2 came here after n3 died (at 40)
    'R 51 r1:k2 1',
    'R 52 r1:k2 1', // a re-handled request answers again
    'F 53 r1:k3 activation-limit refused, retry after 1000 ms',
    'R 60 r2:k1 2 with spaces',
    '',
  ].join('\n'),
);
const n3 = parseJournal(
  [
    'A 30 counter/k2', // still in memory when killed at 40
    'A 5 counter/k9',
    'D 8 counter/k9',
  ].join('\n'),
  40,
);

describe('density --cluster journals', () => {
  it('keeps every answer of a request, across nodes, and platform failures by kind', () => {
    assert.deepEqual(
      answersFor([n1, n3], 'r1:k2').map((a) => a.content),
      ['1', '1'],
    );
    assert.deepEqual(answersFor([n1, n3], 'r2:k1'), [{ at: 60, content: '2 with spaces' }]);
    assert.deepEqual(n1.failures.get('r1:k3'), ['activation-limit']);
  });

  it("ends a killed node's open intervals at its death, so a later activation elsewhere does not overlap", () => {
    assert.deepEqual(n3.residency.get('counter/k2'), [[30, 40]]);
    assert.equal(overlapOf([n1, n3], ['n1', 'n3'], 'counter/k2'), undefined);
    assert.equal(movedOff([n1, n3], 1, 40, 'counter/k2'), true);
    assert.equal(movedOff([n1, n3], 1, 40, 'counter/k1'), false, 'never on the killed node');
    assert.equal(movedOff([n1, n3], 1, 40, 'counter/k9'), false, 'not brought back anywhere after the kill');
  });

  it('finds two nodes holding one key at once', () => {
    const early = parseJournal('A 45 counter/k2\n'); // still in memory: open interval
    assert.match(overlapOf([n1, early], ['n1', 'n2'], 'counter/k2') ?? '', /^counter\/k2: n1 50\.\.Infinity and n2 45\.\.Infinity$/);
  });
});

describe('failover from the journals', () => {
  it("is the first answer a survivor gave, after the kill, for a key of the killed node's partitions that it brought into memory then", () => {
    const partitionOf = (key: string): number => (key.endsWith('2') || key.endsWith('4') ? 1 : 0); // n3 held partition 1
    const keyOf = (id: string): string => `counter/${id.slice(id.indexOf(':') + 1)}`;
    const survivor = parseJournal(
      [
        'R 41 r1:k4 1', // in transit from the dead node: k4 not yet in memory here
        'R 45 r1:k1 1', // partition 0: never moved
        'A 48 counter/k4',
        'R 49 r1:k4 1',
        'R 51 r1:k2 1',
      ].join('\n'),
    );
    assert.equal(firstAnswerAfterMove([survivor, n3], 1, 40, partitionOf, keyOf), 49);
    assert.equal(firstAnswerAfterMove([parseJournal('R 45 r1:k1 1'), n3], 1, 40, partitionOf, keyOf), undefined);
  });
});
