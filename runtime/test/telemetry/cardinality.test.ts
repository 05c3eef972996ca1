/** Bounded agent labels (runtime/src/telemetry/cardinality.ts): the first N names keep their series, the rest fold into `other`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BoundedLabelSet,
  DEFAULT_MAX_AGENT_LABELS,
  OTHER_AGENT_LABEL,
  agentLabels,
  boundedAgentLabel,
  setMaxAgentLabels,
} from '../../src/telemetry/cardinality.js';

test('the first `limit` distinct names keep their own label; later names become `other`', () => {
  const set = new BoundedLabelSet(2);
  assert.equal(set.label('a'), 'a');
  assert.equal(set.label('b'), 'b');
  assert.equal(set.label('c'), OTHER_AGENT_LABEL);
  assert.equal(set.label('a'), 'a', 'an admitted name stays admitted');
  assert.equal(set.label('b'), 'b');
  assert.equal(set.size, 2);
});

test('a name once folded stays folded even when asked again; `other` itself never takes a slot', () => {
  const set = new BoundedLabelSet(1);
  assert.equal(set.label(OTHER_AGENT_LABEL), OTHER_AGENT_LABEL);
  assert.equal(set.size, 0);
  assert.equal(set.label('x'), 'x');
  assert.equal(set.label('y'), OTHER_AGENT_LABEL);
  assert.equal(set.label('y'), OTHER_AGENT_LABEL);
});

test('limit 0 folds everything; lowering the limit keeps names already admitted', () => {
  const none = new BoundedLabelSet(0);
  assert.equal(none.label('a'), OTHER_AGENT_LABEL);
  const set = new BoundedLabelSet(3);
  set.label('a');
  set.label('b');
  set.setLimit(1);
  assert.equal(set.limit, 1);
  assert.equal(set.label('a'), 'a');
  assert.equal(set.label('b'), 'b');
  assert.equal(set.label('c'), OTHER_AGENT_LABEL);
});

test('a limit that is not a whole number ≥ 0 is refused', () => {
  assert.throws(() => new BoundedLabelSet(-1), RangeError);
  assert.throws(() => new BoundedLabelSet(1.5), RangeError);
  assert.throws(() => new BoundedLabelSet(Number.NaN), RangeError);
});

test('boundedAgentLabel uses the process-wide set, default limit 200', () => {
  agentLabels.reset();
  assert.equal(agentLabels.limit, DEFAULT_MAX_AGENT_LABELS);
  const labels = Array.from({ length: 205 }, (_, i) => boundedAgentLabel(`agent-${i}`));
  assert.equal(labels.filter((l) => l === OTHER_AGENT_LABEL).length, 5);
  assert.equal(labels[199], 'agent-199');
  assert.equal(labels[200], OTHER_AGENT_LABEL);
  agentLabels.reset();
  setMaxAgentLabels(1);
  assert.equal(boundedAgentLabel('p'), 'p');
  assert.equal(boundedAgentLabel('q'), OTHER_AGENT_LABEL);
  agentLabels.reset();
  setMaxAgentLabels(DEFAULT_MAX_AGENT_LABELS);
});
