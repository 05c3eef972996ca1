/**
 * The node's computed shard count (decision 2149): one per core beyond the first, never fewer than
 * one, and never more than the shards row's ceiling — a default `startNode({ shards })` would refuse
 * given explicitly must not be what a big host gets unasked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE_LIMIT_TABLE } from '@caxton/core';
import { defaultShards } from '../../src/node/sandbox-host.js';

test("defaultShards: 1 on up to 2 cores, else cores − 1, at most the shards row's ceiling", () => {
  assert.equal(defaultShards(1), 1);
  assert.equal(defaultShards(2), 1);
  assert.equal(defaultShards(8), 7);
  assert.equal(defaultShards(NODE_LIMIT_TABLE.shards.ceiling + 1), NODE_LIMIT_TABLE.shards.ceiling);
  assert.equal(defaultShards(1024), 256, 'a 1,024-thread host runs 256 shards, as --shards 256 would');
});
