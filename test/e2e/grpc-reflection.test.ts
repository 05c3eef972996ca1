/**
 * grpcurl-style access to a real `caxton serve`: a generic reflection client (support/
 * reflection-client.ts) lists the services and fetches the caxton.v1 descriptors without a token,
 * then calls NodeStatus dynamically from those descriptors — refused without the token, answered
 * with it. The standard health service answers SERVING and turns NOT_SERVING when the node stops.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import protobuf from 'protobufjs';
import { ROOT } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { lookupService, packageFromDescriptors, ReflectionClient } from './support/reflection-client.js';
import { startServe, type Serve } from './support/serve.js';

type Unary = (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void;

function callUnary(client: grpc.Client, method: string, req: object, md = new grpc.Metadata()): Promise<Record<string, unknown>> {
  const fn = (client as unknown as Record<string, Unary>)[method]!;
  return new Promise((resolve, reject) => fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res))));
}

describe('reflection and health on a real caxton serve (what grpcurl uses)', () => {
  let serve: Serve;
  let reflection: ReflectionClient;

  before(async () => {
    serve = await startServe();
    reflection = new ReflectionClient(serve.address);
  });
  after(async () => {
    reflection.close();
    await stopStragglers();
    if (serve.proc.running) await serve.stop();
  });

  it('lists the services without a token (reflection v1 and v1alpha)', async () => {
    assert.deepEqual((await reflection.listServices()).sort(), ['caxton.v1.Caxton', 'grpc.health.v1.Health']);
    const alpha = new ReflectionClient(serve.address, 'v1alpha');
    try {
      assert.deepEqual((await alpha.listServices()).sort(), ['caxton.v1.Caxton', 'grpc.health.v1.Health']);
    } finally {
      alpha.close();
    }
  });

  it('calls NodeStatus from the fetched descriptors: refused without the token, answered with it', async () => {
    const files = await reflection.filesFor('caxton.v1.Caxton');
    assert.ok(
      [...files.keys()].some((f) => f.includes('caxton')),
      [...files.keys()].join(', '),
    );
    const Caxton = lookupService(packageFromDescriptors(files), 'caxton.v1.Caxton');
    assert.ok('NodeStatus' in Caxton.service && 'DeployAgent' in Caxton.service);
    const client = new Caxton(serve.address, grpc.credentials.createInsecure());
    try {
      const refused = await callUnary(client, 'NodeStatus', {}).then(
        () => undefined,
        (err: grpc.ServiceError) => err,
      );
      assert.equal(refused?.code, grpc.status.UNAUTHENTICATED);
      assert.match(refused.details, /missing credentials/);
      // The rich error grpcurl prints: a google.rpc.Status in the grpc-status-details-bin trailer.
      const [bin] = refused.metadata.get('grpc-status-details-bin');
      const rpc = await protobuf.load(path.join(ROOT, 'client/proto/google/rpc/error_details.proto'));
      const Status = (await protobuf.load(path.join(ROOT, 'client/proto/google/rpc/status.proto'))).lookupType('google.rpc.Status');
      const details = Status.decode(bin as Buffer) as unknown as { code: number; details: { type_url: string; value: Uint8Array }[] };
      assert.equal(details.code, grpc.status.UNAUTHENTICATED);
      const info = details.details.find((d) => d.type_url.endsWith('google.rpc.ErrorInfo'));
      assert.ok(info, 'an ErrorInfo detail');
      const errorInfo = rpc.lookupType('google.rpc.ErrorInfo').decode(info.value) as unknown as {
        reason: string;
        domain: string;
        metadata: Record<string, string>;
      };
      assert.deepEqual([errorInfo.reason, errorInfo.domain], ['api.unauthenticated', 'caxton.dev']);
      assert.match(errorInfo.metadata.hint ?? '', /auth-token/, 'the hint says where the token is, not what it is');

      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${serve.token()}`);
      // Reflection carries the .proto's own field names (node_id), as protoc would.
      const status = await callUnary(client, 'NodeStatus', {}, md);
      assert.equal(status.node_id, serve.nodeId);
      assert.equal(status.version, '0.1.0');
      assert.equal(typeof status.uptime_ms, 'string', 'int64 as a string, as in grpcurl JSON');
      assert.ok(Number(status.uptime_ms) > 0);
      assert.equal(status.agents_total, 0);
      const nodes = status.nodes as { id: string; address: string; self: boolean }[];
      assert.deepEqual(
        nodes.map((n) => [n.id, n.address, n.self]),
        [[serve.nodeId, serve.address, true]],
      );
    } finally {
      client.close();
    }
  });

  it('answers an unknown symbol with a reflection error and keeps serving', async () => {
    await assert.rejects(reflection.filesFor('no.such.Service'), (err: Error & { code?: number }) => err.code === grpc.status.NOT_FOUND);
    assert.deepEqual((await reflection.listServices()).length, 2);
  });

  it('reports SERVING on grpc.health.v1 without a token, and NOT_SERVING once the node stops', async () => {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String }));
    const Health = lookupService(pkg, 'grpc.health.v1.Health');
    const health = new Health(serve.address, grpc.credentials.createInsecure());
    try {
      for (const service of ['', 'caxton.v1.Caxton']) {
        assert.deepEqual(await callUnary(health, 'Check', { service }), { status: 'SERVING' }, `service "${service}"`);
      }
      const unknown = await callUnary(health, 'Check', { service: 'nope' }).then(
        () => undefined,
        (err: grpc.ServiceError) => err,
      );
      assert.equal(unknown?.code, grpc.status.NOT_FOUND);

      // A watcher (what a load balancer keeps open) learns that the node is going away.
      const watch = (health as unknown as { Watch(req: object): grpc.ClientReadableStream<{ status: string }> }).Watch({
        service: 'caxton.v1.Caxton',
      });
      const seen: string[] = [];
      const ended = new Promise<void>((resolve) => {
        watch.on('data', (r: { status: string }) => {
          seen.push(r.status);
          if (r.status === 'SERVING') serve.proc.kill('SIGINT');
        });
        watch.on('error', () => resolve());
        watch.on('end', () => resolve());
      });
      await ended;
      assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
      const stopped = await serve.proc.done;
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      health.close();
    }
  });
});
