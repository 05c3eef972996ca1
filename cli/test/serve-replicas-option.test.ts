/**
 * serve --replicas-across-nodes (decision 2097): the flag, else the environment's
 * CAXTON_REPLICAS_ACROSS_NODES=1 (a value other than 1 or 0 refused), into the node's cluster
 * options; the flag wins either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../src/app.js';
import { nodeOptions } from '../src/commands/serve-run.js';
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
const ON = { CAXTON_REPLICAS_ACROSS_NODES: '1' };

describe('serve --replicas-across-nodes', () => {
  it('turns the flag into the cluster option, on or off', () => {
    assert.equal(nodeOptions({ ...clustered, replicasAcrossNodes: true } as typeof base, '/srv').cluster?.replicasAcrossNodes, true);
    assert.equal(nodeOptions({ ...clustered, replicasAcrossNodes: false } as typeof base, '/srv').cluster?.replicasAcrossNodes, false);
    assert.equal(nodeOptions(clustered, '/srv').cluster, undefined, "neither flag nor variable: the node's default (off)");
  });

  it('takes CAXTON_REPLICAS_ACROSS_NODES=1 from the environment when the flag is not given, and the flag wins', () => {
    assert.equal(nodeOptions(clustered, '/srv', ON).cluster?.replicasAcrossNodes, true, 'the environment reaches the option');
    assert.equal(
      nodeOptions({ ...clustered, replicasAcrossNodes: false } as typeof base, '/srv', ON).cluster?.replicasAcrossNodes,
      false,
      '--no-replicas-across-nodes beats the variable',
    );
    assert.equal(nodeOptions(clustered, '/srv', { CAXTON_REPLICAS_ACROSS_NODES: '0' }).cluster, undefined, "0 is off: the node's default");
    assert.equal(
      nodeOptions({ ...clustered, replicasAcrossNodes: true } as typeof base, '/srv', { CAXTON_REPLICAS_ACROSS_NODES: 'yes' }).cluster
        ?.replicasAcrossNodes,
      true,
      'the flag given, the variable is not read',
    );
    assert.equal(
      nodeOptions({ ...clustered, cluster: 'blue' } as typeof base, '/srv', ON).cluster?.name,
      'blue',
      'the variable joins the other cluster flags',
    );
    assert.equal(
      nodeOptions(base, '/srv', ON).cluster,
      undefined,
      'a single node has no nodes to spread over: the variable is not a cluster by itself',
    );
  });

  it("refuses a variable that is neither 1 nor 0 (the node's own parser), as a usage error with its hint", async () => {
    for (const v of ['yes', 'true', ' 1']) {
      assert.throws(
        () => nodeOptions(clustered, '/srv', { CAXTON_REPLICAS_ACROSS_NODES: v }),
        (e: Error & { exitCode?: number; hint?: string }) =>
          e.exitCode === 2 && e.message.includes(`CAXTON_REPLICAS_ACROSS_NODES=${JSON.stringify(v)}`) && /set it to 1/.test(e.hint ?? ''),
        JSON.stringify(v),
      );
    }
    const io = captureIo({ CAXTON_REPLICAS_ACROSS_NODES: 'yes' });
    assert.equal(await run(['serve', '--kafka', 'k1:9092', '--etcd', 'e1:2379'], io), 2);
    assert.match(io.err, /CAXTON_REPLICAS_ACROSS_NODES="yes" is neither 1 nor 0/);
    assert.match(io.err, /set it to 1/);
  });

  it('refuses the flag on without cluster mode, parsed by yargs as typed', async () => {
    assert.throws(
      () => nodeOptions({ ...base, replicasAcrossNodes: true } as typeof base, '/srv'),
      /--replicas-across-nodes needs cluster mode/,
    );
    assert.equal(
      nodeOptions({ ...base, replicasAcrossNodes: false } as typeof base, '/srv').cluster,
      undefined,
      'an explicit off is harmless on a single node',
    );
    const io = captureIo();
    assert.equal(await run(['serve', '--replicas-across-nodes'], io), 2);
    assert.match(io.err, /--replicas-across-nodes needs cluster mode/);
  });

  it('is listed in serve --help with its variable', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    for (const text of ['--replicas-across-nodes', 'CAXTON_REPLICAS_ACROSS_NODES=1', 'the flag wins'])
      assert.ok(io.out.replace(/\s+/g, ' ').includes(text), text); // yargs wraps the text
  });
});
