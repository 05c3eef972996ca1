/**
 * kafkajs's lines as the node logs them: at kafkajs's own level, except a heartbeat answered with
 * the group coordinator's rejoin signal (rebalancing, unknown member, illegal generation), which
 * kafkajs logs as an error on every member at every rebalance though it rejoins on it: debug.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { kafkaLineLevel } from '../../../src/log/kafka/client.js';

const { logLevel } = kafkajs;

test("a heartbeat's rejoin signal is debug; every other line keeps kafkajs's level", () => {
  const heartbeat = 'Response Heartbeat(key: 12, version: 3)';
  for (const error of [
    'The group is rebalancing, so a rejoin is needed',
    'The coordinator is not aware of this member',
    'Specified group generation id is not valid',
  ])
    assert.equal(kafkaLineLevel(logLevel.ERROR, 'Connection', heartbeat, { error }), 'debug', error);
  assert.equal(kafkaLineLevel(logLevel.ERROR, 'Connection', heartbeat, { error: 'The server experienced an unexpected error' }), 'error');
  assert.equal(
    kafkaLineLevel(logLevel.ERROR, 'Connection', 'Response OffsetCommit(key: 8, version: 5)', {
      error: 'Specified group generation id is not valid',
    }),
    'error',
    'a refused commit stays an error',
  );
  assert.equal(
    kafkaLineLevel(logLevel.ERROR, 'Consumer', heartbeat, { error: 'The group is rebalancing, so a rejoin is needed' }),
    'error',
  );
  assert.equal(kafkaLineLevel(logLevel.WARN, 'Connection', 'x', {}), 'warn');
  assert.equal(kafkaLineLevel(logLevel.INFO, 'Consumer', 'x', {}), 'info');
  assert.equal(kafkaLineLevel(logLevel.DEBUG, 'Consumer', 'x', {}), 'debug');
});
