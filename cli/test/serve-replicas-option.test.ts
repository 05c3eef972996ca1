/**
 * serve --replicas-across-nodes and CAXTON_REPLICAS_ACROSS_NODES (decisions 2097, 2168): a cluster's
 * workers always run across nodes now, so both are ignored — an existing invocation still starts,
 * and its start says what was ignored and why (either form of the flag, any value of the variable).
 * Nothing of them reaches the node's options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../src/app.js';
import { ignoredReplicaSettings, nodeOptions } from '../src/commands/serve-run.js';
import { captureIo } from './support/capture-io.js';

const base = {
  dataDir: 'state',
  timeout: 30,
  json: false,
  tls: false,
  addr: undefined,
  auth: true,
  requireClientCert: false,
} as unknown as Parameters<typeof nodeOptions>[0];
const clustered = { ...base, kafka: 'k1:9092', etcd: 'e1:2379' } as typeof base;

describe('serve --replicas-across-nodes (ignored since decision 2168)', () => {
  it('reaches nothing in the node options, flag or variable, on or off, clustered or not', () => {
    for (const argv of [clustered, base]) {
      for (const flag of [true, false, undefined]) {
        for (const env of [
          {},
          { CAXTON_REPLICAS_ACROSS_NODES: '1' },
          { CAXTON_REPLICAS_ACROSS_NODES: '0' },
          { CAXTON_REPLICAS_ACROSS_NODES: 'yes' },
        ]) {
          const options = nodeOptions({ ...argv, replicasAcrossNodes: flag } as typeof base, '/srv', env);
          assert.equal(options.cluster, undefined, JSON.stringify({ flag, env }));
        }
      }
    }
  });

  it('is named in a note when given, each form as written, and says why', () => {
    assert.equal(ignoredReplicaSettings(clustered, {}), undefined, 'neither given: no note');
    const on = ignoredReplicaSettings({ ...clustered, replicasAcrossNodes: true } as typeof base, {});
    assert.match(
      on ?? '',
      /^caxton: note: --replicas-across-nodes is ignored: a scaled agent's workers always run across a cluster's nodes, stateless \(decision 2168\); remove it$/,
    );
    const off = ignoredReplicaSettings({ ...base, replicasAcrossNodes: false } as typeof base, { CAXTON_REPLICAS_ACROSS_NODES: 'yes' });
    assert.match(off ?? '', /--no-replicas-across-nodes and CAXTON_REPLICAS_ACROSS_NODES="yes" are ignored: .*remove them$/);
    const long = ignoredReplicaSettings(base, { CAXTON_REPLICAS_ACROSS_NODES: 'x'.repeat(500) });
    assert.ok((long ?? '').length < 300, 'the value is cut short');
  });

  it('is listed in serve --help as ignored', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' '); // yargs wraps the text
    assert.ok(help.includes('--replicas-across-nodes'), help);
    assert.match(help, /Ignored \(decision 2168\)/);
  });
});
