import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignmentLine, parseAssignmentLine } from '../../../src/topology/cluster/assignment-line.js';

test('an assignment line names the partitions sorted, and reads back to them', () => {
  const line = assignmentLine('n1', [9, 0, 5, 3], 12);
  assert.equal(line, "node n1 consumes 4 of the deliveries topic's 12 partitions: 0 3 5 9");
  assert.deepEqual(parseAssignmentLine(`caxton: cluster: ${line}`), { nodeId: 'n1', of: 12, partitions: [0, 3, 5, 9] });
  assert.equal(
    assignmentLine('n1', [3, 0], 12),
    assignmentLine('n1', [0, 3], 12),
    'one assignment, one line, whatever order the group gave',
  );
});

test('a node left with no partitions says so, and reads back to none', () => {
  const line = assignmentLine('n-2', [], 4);
  assert.equal(line, "node n-2 consumes none of the deliveries topic's 4 partitions");
  assert.deepEqual(parseAssignmentLine(line), { nodeId: 'n-2', of: 4, partitions: [] });
});

test('any other line is not an assignment', () => {
  assert.equal(parseAssignmentLine('caxton: cluster: node n1 is a member (lease 1, ttl 5 s)'), undefined);
  assert.equal(parseAssignmentLine("node n1 consumes 2 of the deliveries topic's 12 partitions"), undefined, 'a count without its list');
});

test('a count that disagrees with its list is not read as an assignment', () => {
  assert.equal(parseAssignmentLine("node n1 consumes 3 of the deliveries topic's 12 partitions: 0 3"), undefined);
  assert.equal(parseAssignmentLine("node n1 consumes none of the deliveries topic's 12 partitions: 0"), undefined);
});
