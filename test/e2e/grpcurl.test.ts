/**
 * The real grpcurl (built from the Go module proxy by scripts/infra, cached) against a real
 * `caxton serve`, through server reflection alone (no -proto): it lists the services, describes
 * every service and the messages they use (descriptor validation: grpcurl refused the whole file
 * when map entries were misnamed), and calls every RPC of caxton.v1 and grpc.health.v1 — the
 * guarded ones with the token, and one without to see the refusal.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { builtExample } from './support/paths.js';
import { Proc, stopStragglers, type Finished } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

interface InfraModule { installGrpcurl(): Promise<string> }
const infra = (): Promise<InfraModule> => import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<InfraModule>;

const RPCS = ['DeployAgent', 'UpgradeAgent', 'StopAgent', 'ListAgents', 'GetAgent', 'SendMessage', 'TailMessages', 'StreamLogs', 'SearchDirectory', 'NodeStatus'];

describe('grpcurl through server reflection on a real caxton serve', () => {
  let serve: Serve;
  let grpcurl: string;

  const call = (args: string[], timeoutMs = 60_000): Promise<Finished> => new Proc(grpcurl, ['-plaintext', ...args], { timeoutMs }).done;
  // grpcurl's -d takes one JSON message, or several in a row for a client stream.
  const authed = (method: string, body: string): Promise<Finished> =>
    call(['-H', `authorization: Bearer ${serve.token()}`, '-d', body, serve.address, `caxton.v1.Caxton/${method}`]);
  const json = (r: Finished): Record<string, unknown> => {
    assert.equal(r.code, 0, `grpcurl exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  before(async () => {
    grpcurl = await (await infra()).installGrpcurl();
    serve = await startServe();
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('lists both services and describes every RPC and message', async () => {
    const list = await call([serve.address, 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['caxton.v1.Caxton', 'grpc.health.v1.Health']);
    const service = await call([serve.address, 'describe', 'caxton.v1.Caxton']);
    assert.equal(service.code, 0, service.stderr);
    for (const rpc of RPCS) assert.match(service.stdout, new RegExp(`rpc ${rpc} \\(`), rpc);
    for (const message of ['caxton.v1.ArtifactHeader', 'caxton.v1.AclMessage', 'caxton.v1.AgentInfo', 'caxton.v1.ServiceDescription', 'grpc.health.v1.HealthListResponse']) {
      const d = await call([serve.address, 'describe', message]);
      assert.equal(d.code, 0, `${message}: ${d.stderr}`);
      assert.match(d.stdout, /is a message/);
    }
    const health = await call([serve.address, 'describe', 'grpc.health.v1.Health']);
    assert.equal(health.code, 0, health.stderr);
  });

  it('calls grpc.health.v1 without a token', async () => {
    assert.equal(json(await call(['-d', '{}', serve.address, 'grpc.health.v1.Health/Check']))['status'], 'SERVING');
    const all = json(await call(['-d', '{}', serve.address, 'grpc.health.v1.Health/List']));
    assert.ok(JSON.stringify(all).includes('SERVING'), JSON.stringify(all));
  });

  it('refuses a guarded call without the token', async () => {
    const r = await call(['-d', '{}', serve.address, 'caxton.v1.Caxton/NodeStatus']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthenticated/);
  });

  it('calls every caxton.v1 RPC with the token', async () => {
    const status = json(await authed('NodeStatus', '{}'));
    assert.equal(status['node_id'] ?? status['nodeId'], serve.nodeId);

    const bytes = readFileSync(builtExample('as-echo', 'as-echo.wasm'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const upload = (name: string): string =>
      `${JSON.stringify({ header: { name, sha256, total_size: bytes.length, config: { greeting: 'hi' } } })}\n${JSON.stringify({ chunk: bytes.toString('base64') })}`;
    const deployed = json(await authed('DeployAgent', upload('grpcurl-echo')));
    assert.equal((deployed['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');

    const listed = json(await authed('ListAgents', '{}'));
    assert.ok(JSON.stringify(listed).includes('grpcurl-echo'));
    const got = json(await authed('GetAgent', JSON.stringify({ name: 'grpcurl-echo' })));
    assert.equal((got['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');

    // Follow the bus while a message goes through: the tail shows the request and the echo's reply.
    const tail = new Proc(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${serve.token()}`, '-max-time', '20', '-d', '{}', serve.address, 'caxton.v1.Caxton/TailMessages'], { timeoutMs: 60_000 });
    let sent: Record<string, unknown> = {};
    // The stream has no "subscribed" signal: send until the tail shows one (500 ms apart).
    for (let i = 0; i < 20 && !/through grpcurl/.test(tail.stdout); i++) {
      sent = json(await authed('SendMessage', JSON.stringify({ structured: { performative: 'request', receivers: [{ name: 'grpcurl-echo' }], content: `through grpcurl ${i}` } })));
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(Object.keys(sent).length > 0, 'SendMessage answered');
    await tail.stop();
    assert.match(tail.stdout, /through grpcurl/, tail.stdout + tail.stderr);

    const logs = await authed('StreamLogs', JSON.stringify({ agent: 'grpcurl-echo', follow: false }));
    assert.equal(logs.code, 0, logs.stderr);
    const search = json(await authed('SearchDirectory', JSON.stringify({ template: {} })));
    assert.ok(typeof search === 'object');
    const upgraded = json(await authed('UpgradeAgent', upload('grpcurl-echo')));
    assert.equal((upgraded['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');
    const stopped = json(await authed('StopAgent', JSON.stringify({ name: 'grpcurl-echo' })));
    assert.equal((stopped['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');
  });
});
