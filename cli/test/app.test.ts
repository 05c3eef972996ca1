/**
 * The command line parsed in-process: yargs wiring, validation, help and completion, and the
 * flag → request mapping of each command. No runtime is needed: every case here fails (or
 * finishes) before connecting, or uses an address where nothing listens.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../src/app.js';
import { logQuery, type LogsArgs } from '../src/commands/logs.js';
import { sendInput, type SendArgs } from '../src/commands/send.js';
import { nodeOptions } from '../src/commands/serve-run.js';
import { tailFilter, type TailArgs } from '../src/commands/tail.js';
import { DEFAULT_ADDR, type GlobalArgs } from '../src/context.js';
import { captureIo as captureIoAt, type CapturedIo } from './support/capture-io.js';
import { UsageError } from '../src/cli-error.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

const captureIo = (env: Record<string, string> = {}): CapturedIo => captureIoAt(env, NOW);

const globals: GlobalArgs = { addr: DEFAULT_ADDR, dataDir: '.caxton', tls: false, timeout: 30, json: false };

describe('caxton command line', () => {
  it('prints help with examples and exit codes', async () => {
    const io = captureIo();
    assert.equal(await run(['--help'], io), 0);
    assert.match(io.out, /caxton deploy <source>/);
    assert.match(io.out, /Exit codes: 0 ok, 1 failure, 2 usage/);
    const sub = captureIo();
    assert.equal(await run(['send', '--help'], sub), 0);
    assert.match(sub.out, /--conversation-id/);
    assert.match(sub.out, /Examples:/);
  });

  it('prints a completion script', async () => {
    const io = captureIo();
    assert.equal(await run(['completion'], io), 0);
    assert.match(io.out, /###-begin-caxton-completions-###/);
  });

  it('rejects unknown commands and flags with exit 2', async () => {
    for (const args of [['frobnicate'], ['agents', '--frobnicate'], [], ['stop'], ['deploy']]) {
      const io = captureIo();
      assert.equal(await run(args, io), 2, args.join(' '));
      assert.match(io.err, /^caxton: .+\n {2}hint: see `caxton --help`/);
    }
  });

  it('rejects a bad flag value before connecting', async () => {
    const io = captureIo();
    assert.equal(await run(['send', 'echo', 'yell', 'hi', '--addr', '127.0.0.1:1'], io), 2);
    assert.match(io.err, /"yell" is not a FIPA performative/);
    const addr = captureIo();
    assert.equal(await run(['status', '--addr', 'nonsense'], addr), 2);
    assert.match(addr.err, /--addr "nonsense" is not host:port/);
  });

  it('checks --topics before anything is built or sent (decision 2050)', async () => {
    for (const [bad, why] of [
      ['or*ders', /"or\*ders" is not a topic pattern/],
      ['a,,b', /--topics\[1\]: "" is not a topic pattern/],
    ] as const) {
      const io = captureIo();
      assert.equal(await run(['deploy', 'missing.wasm', '--topics', bad, '--addr', '127.0.0.1:1'], io), 2, bad);
      assert.match(io.err, why);
      assert.match(io.err, /hint: a topic pattern is a topic name/);
    }
    const up = captureIo();
    assert.equal(await run(['upgrade', 'echo', 'missing.wasm', '--topics', '**', '--addr', '127.0.0.1:1'], up), 2);
    assert.match(up.err, /"\*\*" is not a topic pattern/);
    const twice = captureIo();
    assert.equal(await run(['deploy', 'missing.wasm', '--topics', 'a', '--topics', 'b', '--addr', '127.0.0.1:1'], twice), 2);
    assert.match(twice.err, /--topics is given more than once/);
    assert.match(twice.err, /hint: give one comma-separated list/);
    for (const args of [['--topics'], ['--topics', '--quiet']]) {
      const bare = captureIo();
      assert.equal(await run(['deploy', 'missing.wasm', ...args, '--addr', '127.0.0.1:1'], bare), 2, args.join(' '));
      assert.match(bare.err, /Not enough arguments following: topics/);
    }
  });

  it('defaults the address from CAXTON_ADDR', async () => {
    const io = captureIo({ CAXTON_ADDR: '127.0.0.1:1' });
    assert.equal(await run(['status', '--timeout', '5'], io), 4);
    assert.match(io.err, /no runtime at 127\.0\.0\.1:1/);
  });
});

describe('flags → requests', () => {
  it('builds a structured message from send flags', () => {
    const argv: SendArgs = {
      ...globals,
      agent: 'seller, other@p2',
      performative: 'CFP',
      content: '(price ?p)',
      conversationId: 'deal-1',
      protocol: 'fipa-contract-net',
      replyBy: '10s',
      param: ['X-trace=t1'],
    };
    assert.deepEqual(sendInput(argv, NOW), {
      structured: {
        performative: 'cfp',
        receivers: [{ name: 'seller' }, { name: 'other@p2' }],
        content: '(price ?p)',
        conversationId: 'deal-1',
        protocol: 'fipa-contract-net',
        replyBy: NOW + 10_000,
        userParams: { 'X-trace': 't1' },
      },
    });
  });

  it('--priority sets X-caxton-priority, refuses what is not a priority, and does not fight --param or --raw', () => {
    const base: SendArgs = { ...globals, agent: 'worker', performative: 'request', content: 'drain', param: [] };
    assert.deepEqual(sendInput({ ...base, priority: 'high' }, NOW), {
      structured: {
        performative: 'request',
        receivers: [{ name: 'worker' }],
        content: 'drain',
        userParams: { 'X-caxton-priority': 'high' },
      },
    });
    assert.deepEqual(sendInput({ ...base, priority: 'normal' }, NOW), {
      structured: { performative: 'request', receivers: [{ name: 'worker' }], content: 'drain' },
    });
    assert.throws(
      () => sendInput({ ...base, priority: 'urgent' }, NOW),
      (e: unknown) => e instanceof UsageError && /--priority takes high, normal, low, got "urgent"/.test(e.message),
    );
    assert.throws(
      () => sendInput({ ...base, priority: 'low', param: ['X-caxton-priority=high'] }, NOW),
      (e: unknown) => e instanceof UsageError && /both set the priority/.test(e.message),
    );
    assert.throws(
      () => sendInput({ ...globals, param: [], raw: '{}', priority: 'high' }, NOW),
      (e: unknown) => e instanceof UsageError && /drop --priority/.test(e.message),
    );
  });

  it('keeps --raw and positional messages apart', () => {
    assert.deepEqual(sendInput({ ...globals, param: [], raw: '(inform :content "x")' }, NOW), { fipa: '(inform :content "x")' });
    assert.throws(
      () => sendInput({ ...globals, param: [], raw: '{}', agent: 'echo' }, NOW),
      (e: unknown) => e instanceof UsageError && /drop <agent>/.test(e.message),
    );
    assert.throws(
      () => sendInput({ ...globals, param: [], agent: 'echo' }, NOW),
      (e: unknown) => e instanceof UsageError && /missing <performative> <content>/.test(e.message),
    );
  });

  it('builds tail filters and log queries', () => {
    const tail: TailArgs = { ...globals, agent: 'echo', conversation: 'c1', performative: ['propose,refuse', 'INFORM'] };
    assert.deepEqual(tailFilter(tail), { agent: 'echo', conversationId: 'c1', performatives: ['propose', 'refuse', 'inform'] });
    assert.deepEqual(tailFilter({ ...globals, performative: [] }), {});
    const logs: LogsArgs = { ...globals, agent: 'echo', follow: true, since: '5m', lines: 20 };
    assert.deepEqual(logQuery(logs, NOW), { agent: 'echo', follow: true, since: NOW - 300_000, limit: 20 });
    assert.throws(() => logQuery({ ...logs, lines: 0 }, NOW), UsageError);
  });

  it('turns serve flags into node options', () => {
    // serve declares --addr without a default, so an unset one is undefined (the global default
    // is where a client connects, not where serve listens).
    const base = {
      ...globals,
      addr: undefined,
      apiHost: '0.0.0.0',
      apiPort: 7000,
      auth: true,
      requireClientCert: false,
    } as unknown as Parameters<typeof nodeOptions>[0];
    assert.deepEqual(
      nodeOptions(
        {
          ...base,
          dataDir: 'state',
          kafka: 'k1:9092, k2:9092',
          etcd: 'e1:2379',
          nodeId: 'n1',
          cert: 'c.pem',
          key: 'k.pem',
          clientCa: 'ca.pem',
          requireClientCert: true,
        },
        '/srv',
      ),
      {
        dataDir: '/srv/state',
        apiHost: '0.0.0.0',
        apiPort: 7000,
        auth: { mode: 'token' },
        nodeId: 'n1',
        kafka: { brokers: ['k1:9092', 'k2:9092'] },
        etcd: { endpoints: ['e1:2379'] },
        tls: { certFile: '/srv/c.pem', keyFile: '/srv/k.pem', caFile: '/srv/ca.pem', requireClientCert: true },
      },
    );
    assert.deepEqual(nodeOptions({ ...base, auth: false }, '/srv').auth, { mode: 'none' });
    assert.throws(() => nodeOptions({ ...base, cert: 'c.pem' }, '/srv'), /--cert and --key go together/);
    assert.throws(() => nodeOptions({ ...base, requireClientCert: true }, '/srv'), /needs --client-ca/);
    assert.throws(() => nodeOptions({ ...base, kafka: ' , ' }, '/srv'), /at least one host:port/);
    assert.equal(nodeOptions({ ...base, 'max-artifact-mib': '200' } as typeof base, '/srv').maxArtifactBytes, 200 * 1024 * 1024);
    assert.equal(nodeOptions({ ...base }, '/srv').maxArtifactBytes, undefined, 'the node default unless asked');
    assert.equal(nodeOptions({ ...base, platform: 'caxton-a' } as typeof base, '/srv').platform, 'caxton-a');
    assert.equal(nodeOptions({ ...base }, '/srv').platform, undefined, 'the node default (caxton) unless asked');
    assert.throws(() => nodeOptions({ ...base, platform: 'a@b' } as typeof base, '/srv'), /--platform "a@b" is not a platform name/);
    assert.deepEqual(nodeOptions({ ...base, auditReads: true }, '/srv').audit, { recordReads: true });
    assert.equal(nodeOptions({ ...base, auditReads: false }, '/srv').audit, undefined, 'reads unrecorded unless asked');
    // Decision 2100: the Kafka request shape goes to the cluster options (rows of core's KAFKA_REQUEST_LIMIT_TABLE, decision 2153); cluster mode only.
    const cluster = { ...base, kafka: 'k1:9092', etcd: 'e1:2379' };
    assert.deepEqual(
      nodeOptions({ ...cluster, 'kafka-linger-ms': '2', 'kafka-fetch-min-bytes': '16384' } as typeof base, '/srv').cluster?.kafkaRequests,
      { lingerMs: 2, fetchMinBytes: 16_384 },
    );
    assert.equal(nodeOptions({ ...cluster, 'kafka-session-timeout': '9000' } as typeof base, '/srv').cluster?.sessionTimeoutMs, 9000);
    assert.equal(nodeOptions({ ...cluster }, '/srv').cluster, undefined, 'the node defaults unless asked');
    assert.throws(() => nodeOptions({ ...base, 'kafka-fetch-max-wait-ms': '5' } as typeof base, '/srv'), /need cluster mode/);
    // The flag's refusals (decision 2147): serve-artifact-options.test.ts.
  });

  it('serves where --addr says, never ignoring it', () => {
    const bare = { ...globals, addr: undefined, auth: true, requireClientCert: false } as unknown as Parameters<typeof nodeOptions>[0];
    const listen = (o: ReturnType<typeof nodeOptions>) => `${o.apiHost}:${o.apiPort}`;
    assert.equal(listen(nodeOptions(bare, '/srv')), '127.0.0.1:50051');
    assert.equal(listen(nodeOptions({ ...bare, addr: '127.0.0.1:50777' } as typeof bare, '/srv')), '127.0.0.1:50777');
    assert.equal(listen(nodeOptions({ ...bare, addr: '[::1]:7000' } as typeof bare, '/srv')), '::1:7000');
    assert.throws(
      () => nodeOptions({ ...bare, addr: '127.0.0.1:50777', apiPort: 1 } as typeof bare, '/srv'),
      /either as --addr host:port or as --api-host\/--api-port, not both/,
    );
    assert.throws(() => nodeOptions({ ...bare, addr: 'nope' } as typeof bare, '/srv'), /--addr nope is not host:port/);
  });

  it('takes --shards, and the default follows the cores as documented', async () => {
    const bare = { ...globals, addr: undefined, auth: true, requireClientCert: false } as unknown as Parameters<typeof nodeOptions>[0];
    assert.equal(nodeOptions({ ...bare, shards: '3' } as typeof bare, '/srv').shards, 3);
    assert.equal(nodeOptions(bare, '/srv').shards, undefined, 'the node default unless asked');
    // Its range and refusals are its row's (decision 2149): serve-node-cluster-options.test.ts.
    assert.throws(() => nodeOptions({ ...bare, shards: '0' } as typeof bare, '/srv'), /--shards 0 is out of range/);
    const { defaultShards } = await import('@caxton/runtime');
    assert.deepEqual(
      [1, 2, 3, 8].map((cores) => defaultShards(cores)),
      [1, 1, 2, 7],
    );
  });
});
