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

interface InfraModule {
  installGrpcurl(): Promise<string>;
}
const infra = (): Promise<InfraModule> => import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<InfraModule>;

/** Every RPC the .proto declares: the test must keep up with the service, not with a list. */
const PROTO = new URL('../../../client/proto/caxton/v1/caxton.proto', import.meta.url);
const RPCS = [...readFileSync(PROTO, 'utf8').matchAll(/^\s*rpc (\w+)\(/gm)].map((m) => m[1]!);

describe('grpcurl through server reflection on a real caxton serve', () => {
  let serve: Serve;
  let grpcurl: string;

  const call = (args: string[], timeoutMs = 60_000): Promise<Finished> => new Proc(grpcurl, ['-plaintext', ...args], { timeoutMs }).done;
  // grpcurl's -d takes one JSON message, or several in a row for a client stream.
  const called = new Set<string>();
  const authed = (method: string, body: string): Promise<Finished> => {
    called.add(method);
    return call(['-H', `authorization: Bearer ${serve.token()}`, '-d', body, serve.address, `caxton.v1.Caxton/${method}`]);
  };
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
    for (const message of [
      'caxton.v1.ArtifactHeader',
      'caxton.v1.AclMessage',
      'caxton.v1.AgentInfo',
      'caxton.v1.ServiceDescription',
      'grpc.health.v1.HealthListResponse',
    ]) {
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
    called.add('TailMessages');
    const tail = new Proc(
      grpcurl,
      [
        '-plaintext',
        '-H',
        `authorization: Bearer ${serve.token()}`,
        '-max-time',
        '20',
        '-d',
        '{}',
        serve.address,
        'caxton.v1.Caxton/TailMessages',
      ],
      { timeoutMs: 60_000 },
    );
    let sent: Record<string, unknown> = {};
    // The stream has no "subscribed" signal: send until the tail shows one (500 ms apart).
    for (let i = 0; i < 20 && !/through grpcurl/.test(tail.stdout); i++) {
      sent = json(
        await authed(
          'SendMessage',
          JSON.stringify({
            structured: { performative: 'request', receivers: [{ name: 'grpcurl-echo' }], content: `through grpcurl ${i}` },
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(Object.keys(sent).length > 0, 'SendMessage answered');
    await tail.stop();
    assert.match(tail.stdout, /through grpcurl/, tail.stdout + tail.stderr);

    const logs = await authed('StreamLogs', JSON.stringify({ agent: 'grpcurl-echo', follow: false }));
    assert.equal(logs.code, 0, logs.stderr);
    const search = json(await authed('SearchDirectory', JSON.stringify({ template: {} })));
    assert.ok(typeof search === 'object');
    // Topic subscriptions (decision 1960): none made here.
    assert.deepEqual(json(await authed('ListTopics', JSON.stringify({})))['subscriptions'] ?? [], []);
    // Dead letters (decision 1860): none yet; an unknown id is NOT_FOUND; redrive and purge of an
    // agent with none do nothing.
    assert.deepEqual(json(await authed('ListDeadLetters', JSON.stringify({ agent: 'grpcurl-echo' })))['letters'] ?? [], []);
    const unknownLetter = await authed('GetDeadLetter', JSON.stringify({ id: 'no-such-letter' }));
    assert.notEqual(unknownLetter.code, 0);
    assert.match(unknownLetter.stderr, /NotFound/, unknownLetter.stderr);
    assert.ok(typeof json(await authed('RedriveDeadLetters', JSON.stringify({ agent: 'grpcurl-echo' }))) === 'object');
    assert.deepEqual(json(await authed('PurgeDeadLetters', JSON.stringify({ agent: 'grpcurl-echo' })))['purged'] ?? [], []);
    // Conversation costs (decision 2184): the node's sums, in proto JSON (64-bit figures as strings).
    const costs = json(await authed('GetConversationCosts', JSON.stringify({ sort: 'recent', limit: 10 })));
    assert.ok(Number((costs['totals'] as Record<string, unknown>)['handled']) > 0, JSON.stringify(costs));
    const badSort = await authed('GetConversationCosts', JSON.stringify({ sort: 'cheapest' }));
    assert.notEqual(badSort.code, 0);
    assert.match(badSort.stderr, /InvalidArgument/, badSort.stderr);
    // State (decision 1600): import one entry (client stream), read it back three ways.
    const imported = json(
      await authed('ImportState', JSON.stringify({ agent: 'grpcurl-echo', replace: true, entries: [{ key: 'greeting', value: 'hello' }] })),
    );
    assert.ok(typeof imported === 'object');
    const entry = json(await authed('GetState', JSON.stringify({ agent: 'grpcurl-echo', key: 'greeting' })));
    assert.equal((entry['entry'] as Record<string, unknown>)['key'], 'greeting');
    assert.match(JSON.stringify(json(await authed('ListState', JSON.stringify({ agent: 'grpcurl-echo' })))), /greeting/);
    const exported = await authed('ExportState', JSON.stringify({ agent: 'grpcurl-echo' }));
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /greeting/);

    // The kill switch (decision 1403): suspend and resume the agent, freeze and thaw the node.
    assert.match(JSON.stringify(json(await authed('SuspendAgent', JSON.stringify({ name: 'grpcurl-echo' })))), /SUSPENDED/);
    assert.equal(
      (json(await authed('ResumeAgent', JSON.stringify({ name: 'grpcurl-echo' })))['agent'] as Record<string, unknown>)['name'],
      'grpcurl-echo',
    );
    // Replicas (decision 2010): the agent holds state now (imported above), so only one replica is allowed.
    assert.equal(
      (json(await authed('ScaleAgent', JSON.stringify({ name: 'grpcurl-echo', replicas: 1 })))['agent'] as Record<string, unknown>)['name'],
      'grpcurl-echo',
    );
    const frozen = json(await authed('Freeze', '{}'));
    assert.ok(frozen['status'], JSON.stringify(frozen));
    json(await authed('Thaw', '{}'));

    const upgraded = json(await authed('UpgradeAgent', upload('grpcurl-echo')));
    assert.equal((upgraded['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');
    const rolledBack = json(await authed('RollbackAgent', JSON.stringify({ name: 'grpcurl-echo' })));
    assert.equal((rolledBack['agent'] as Record<string, unknown>)['version'], '3', JSON.stringify(rolledBack)); // uint64 as a string in proto JSON
    const stopped = json(await authed('StopAgent', JSON.stringify({ name: 'grpcurl-echo' })));
    assert.equal((stopped['agent'] as Record<string, unknown>)['name'], 'grpcurl-echo');

    // The audit trail (decision 1402) recorded the changes above, oldest first.
    const audit = await authed('ListAudit', JSON.stringify({ from: 0, limit: 100 }));
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /"record"/);
    // Its anchor (decision 1750): the node's audit public key and the signed head covering the records above.
    const anchor = json(await authed('GetAuditAnchor', '{}'));
    assert.match(String(anchor['public_key'] ?? anchor['publicKey']), /^[A-Za-z0-9+/]{43}=$/);
    assert.match(String(anchor['anchor']), /"checkpoint":\{.*"index":\d+/);

    // Issued tokens (decision 1760): one issued, listed without its value, revoked.
    const issued = json(await authed('IssueToken', JSON.stringify({ role: 'observer', ttl_seconds: 600, label: 'grpcurl' })));
    assert.match(String(issued['token']), /^cxt_[A-Za-z0-9_-]{43}$/);
    const issuedId = (issued['issued'] as Record<string, unknown>)['id'];
    const listedTokens = await authed('ListTokens', '{}');
    assert.deepEqual(
      (json(listedTokens)['tokens'] as Record<string, unknown>[]).map((t) => t['id']),
      [issuedId],
    );
    assert.ok(!listedTokens.stdout.includes(String(issued['token'])), 'ListTokens never answers a token');
    assert.equal((json(await authed('RevokeToken', JSON.stringify({ id: issuedId })))['token'] as Record<string, unknown>)['id'], issuedId);

    // Last, as it replaces the token the calls above used (decision 1401): the old one keeps working
    // for the overlap, so the test's own clean-up still authenticates.
    const rotated = json(await authed('RotateTokens', JSON.stringify({ overlap_seconds: 600 })));
    assert.match(String(rotated['admin_token'] ?? rotated['adminToken']), /^[A-Za-z0-9_-]{32,}$/);
    assert.deepEqual(
      RPCS.filter((rpc) => !called.has(rpc)),
      [],
      'every RPC of the .proto was called',
    );
  });
});
