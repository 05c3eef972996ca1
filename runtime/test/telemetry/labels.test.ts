/**
 * The pure label mappings of the metric instruments (decision 1301): etcd calls to a bounded set
 * of operations, gRPC paths to caxton.v1 methods (other services not counted), status numbers to
 * their names, and the quota counters reported as refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { etcdOp } from '../../src/registry/etcd/etcd-metrics.js';
import { caxtonMethod, codeName } from '../../src/api/telemetry-interceptor.js';
import { QUOTA_LABELS, WASM_PAGE_BYTES } from '../../src/node/agent-metrics.js';

describe('etcdOp', () => {
  it('maps what a call does to the etcd operation', () => {
    assert.equal(etcdOp('store an agent'), 'put');
    assert.equal(etcdOp('store a timer'), 'put');
    assert.equal(etcdOp("delete an agent's timers"), 'delete');
    assert.equal(etcdOp('read a DF entry'), 'range');
    assert.equal(etcdOp('list artifacts'), 'range');
    assert.equal(etcdOp('load the registry'), 'range');
    assert.equal(etcdOp('look up an artifact'), 'range');
    assert.equal(etcdOp('claim an agent'), 'txn');
    assert.equal(etcdOp('register the node'), 'txn');
    assert.equal(etcdOp('grant a membership lease'), 'lease-grant');
    assert.equal(etcdOp('renew the membership lease'), 'lease-keepalive');
    assert.equal(etcdOp('revoke the membership lease'), 'lease-revoke');
    assert.equal(etcdOp('inspect a lease'), 'lease-ttl');
  });

  it('folds an unknown description into other instead of a new series', () => {
    assert.equal(etcdOp('compact the history'), 'other');
    assert.equal(etcdOp(''), 'other');
  });
});

describe('caxtonMethod', () => {
  it('splits a caxton.v1 path into service and method', () => {
    assert.deepEqual(caxtonMethod('/caxton.v1.Caxton/ListAgents'), ['caxton.v1.Caxton', 'ListAgents']);
    assert.deepEqual(caxtonMethod('/caxton.v1.Caxton/DeployAgent'), ['caxton.v1.Caxton', 'DeployAgent']);
  });

  it('ignores health and reflection', () => {
    assert.equal(caxtonMethod('/grpc.health.v1.Health/Check'), undefined);
    assert.equal(caxtonMethod('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'), undefined);
    assert.equal(caxtonMethod('/caxton.v1.'), undefined);
  });
});

describe('codeName', () => {
  it('names gRPC status codes as Prometheus labels want them', () => {
    assert.equal(codeName(status.OK), 'OK');
    assert.equal(codeName(status.NOT_FOUND), 'NOT_FOUND');
    assert.equal(codeName(status.UNAVAILABLE), 'UNAVAILABLE');
    assert.equal(codeName(99), '99');
  });
});

describe('agent metric constants', () => {
  it('reports quotas, not malformed calls, as refusals', () => {
    assert.ok(QUOTA_LABELS.includes('sendsPerSecond'));
    assert.ok(QUOTA_LABELS.includes('outboxFull'));
    assert.ok(!(QUOTA_LABELS as readonly string[]).includes('invalidMessage'));
    assert.ok(!(QUOTA_LABELS as readonly string[]).includes('badArgument'));
    assert.equal(WASM_PAGE_BYTES, 64 * 1024);
  });
});
