import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiCallError, type AgentView } from '@caxton/client';
import { exitCodeForStatus, transportReason } from '../src/api-error-advice.js';
import { CliError, explain } from '../src/cli-error.js';
import { EXIT } from '../src/exit-codes.js';
import { formatAgentDetail, formatAgentTable } from '../src/format/agents.js';
import { formatLogLine, formatMessageLine } from '../src/format/messages.js';
import { formatStatus } from '../src/format/status.js';
import { formatTopicTable } from '../src/format/topics.js';
import { renderTable, truncate } from '../src/format/table.js';
import { formatBytes, formatDuration, formatPages } from '../src/format/units.js';
import { ProgressBar } from '../src/progress.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function agent(over: Partial<AgentView> = {}): AgentView {
  return {
    name: 'echo',
    state: 'running',
    nodeId: 'n1',
    version: 2,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 12_345,
    limits: { fuelPerMessage: 1_000_000, memoryPages: 16 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: NOW - 3_600_000,
    updatedAt: NOW - 60_000,
    ...over,
  };
}

describe('output formatting', () => {
  it('aligns table columns, right-aligning numbers, without trailing spaces', () => {
    const out = renderTable(
      [
        { header: 'NAME', value: (r: [string, number]) => r[0] },
        { header: 'N', value: (r) => String(r[1]), right: true },
        { header: 'NOTE', value: () => '' },
      ],
      [
        ['a', 1],
        ['longer', 100],
      ],
    );
    assert.equal(out, 'NAME      N  NOTE\na         1\nlonger  100\n');
  });

  it('keeps one row per line even with newlines in values', () => {
    const out = renderTable([{ header: 'X', value: (r: string) => r }], ['two\nlines']);
    assert.equal(out, 'X\ntwo lines\n');
  });

  it('formats sizes, pages and durations', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
    assert.equal(formatPages(16), '1.0 MiB');
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(303_000), '5m 3s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(93_784_000), '1d 2h');
    assert.equal(truncate('abcdef', 4), 'abc…');
  });

  it('lists agents, with a hint when there are none', () => {
    assert.match(formatAgentTable([]), /No agents deployed\. Deploy one with `caxton deploy/);
    const table = formatAgentTable([
      agent(),
      agent({ name: 'counter', state: 'failed', restarts: 5, mailboxDepth: 1234, lastError: { message: 'out of fuel', at: NOW } }),
    ]);
    const lines = table.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^NAME\s+STATE\s+LANG\s+VERSION\s/);
    assert.match(lines[2]!, /^counter\s+failed\s+-\s+2\s+-\s+n1\s+1,234\s+0\s+5\s+64 KiB\/1\.0 MiB\s+-\s+out of fuel$/);
    const signed = formatAgentTable([agent({ signerKeyId: '0123456789abcdef' })]);
    assert.match(signed.split('\n')[1]!, /\s0123456789abcdef\s*$/, 'the SIGNER column shows the key id');
    assert.match(
      formatAgentTable([agent({ language: 'assemblyscript' })]).split('\n')[1]!,
      /^echo\s+running\s+assemblyscript\s+2\s/,
      'the LANG column',
    );
  });

  it('shows one agent in detail', () => {
    const out = formatAgentDetail(
      agent({ config: { a: '1', b: '2' }, lastError: { message: 'trap', code: 'sandbox.trap', at: NOW - 1000 } }),
      NOW,
    );
    assert.match(out, /^artifact\s+sha256:(ab){32} \(12 KiB\)$/m);
    assert.match(out, /^last error\s+trap \[sandbox\.trap\] at 2026-11-21T11:59:59\.000Z$/m);
    assert.match(out, /^config\s+a=1, b=2$/m);
    assert.match(out, /^signed by\s+\(no trusted signature\)$/m);
    assert.match(out, /^language\s+\(not stated\)$/m);
    assert.match(formatAgentDetail(agent({ language: 'rust' }), NOW), /^language\s+rust$/m);
    assert.match(formatAgentDetail(agent(), NOW), /^rollback to\s+\(none: never upgraded\)$/m);
    assert.match(
      formatAgentDetail(agent({ version: 3, previous: { version: 2, artifactDigest: 'ab'.repeat(32), language: 'rust' } }), NOW),
      new RegExp(`^rollback to\\s+version 2, sha256:${'ab'.repeat(32)} \\(rust\\)$`, 'm'),
    );
    assert.match(
      formatAgentTable([agent({ version: 3, previous: { version: 2, artifactDigest: 'ab'.repeat(32) } })]).split('\n')[1]!,
      /\s3 \(2\)\s/,
      'the VERSION column names the version a rollback restores',
    );
    assert.match(formatAgentDetail(agent({ signerKeyId: '0123456789abcdef' }), NOW), /^signed by\s+key 0123456789abcdef$/m);
    assert.match(out, /^deployed\s+2026-11-21T11:00:00\.000Z \(1h ago\)$/m);
    // What its handlings cost (decision 2184); an older node's status has none.
    assert.match(out, /^costs\s+\(not counted on this node\)$/m);
    assert.match(
      formatAgentDetail(
        agent({
          costs: { handled: 4, fuel: 42_000, handlerUs: 12_345, messagesSent: 3, bytesSent: 2_048, stateBytesWritten: 100, httpCalls: 1 },
        }),
        NOW,
      ),
      /^costs\s+42,000 fuel, 12\.3 ms in handlers, 3 sent \(2\.0 KiB\), 100 B state written, 1 HTTP call$/m,
    );
    // The topic allow-list (decision 2050): none given is every topic; an empty list is none.
    assert.match(out, /^topics\s+\(any\)$/m);
    assert.match(formatAgentDetail(agent({ topics: [] }), NOW), /^topics\s+\(none\)$/m);
    assert.match(formatAgentDetail(agent({ topics: ['orders.*', 'alerts'] }), NOW), /^topics\s+orders\.\*,alerts$/m);
    // Declared ontologies (decision 2183): their names, as the node sends them.
    assert.match(out, /^ontologies\s+\(none declared\)$/m);
    assert.match(formatAgentDetail(agent({ ontologies: ['orders', 'parcels'] }), NOW), /^ontologies\s+orders, parcels$/m);
  });

  it('shows a rollout in the table and in detail (decision 1871)', () => {
    const rollout = {
      strategy: { kind: 'canary', percent: 10 } as const,
      phase: 'baking' as const,
      candidateVersion: 3,
      candidateDigest: 'cd'.repeat(32),
      startedAt: NOW - 60_000,
      bakeUntil: NOW + 240_000,
      thresholds: { maxCrashRatePercent: 1, maxFailureRatePercent: 5, maxP99Ms: 1000, bakeMs: 300_000 },
      counts: { handled: 120, crashes: 0, failures: 1, p99Ms: 3.2 },
    };
    assert.match(formatAgentTable([agent({ rollout })]).split('\n')[1]!, /\s2\s+canary:10 baking v3\s+n1\s/, 'the ROLLOUT column');
    assert.match(
      formatAgentDetail(agent({ rollout }), NOW),
      /^rollout\s+canary:10, baking version 3 \(sha256:cdcdcdcdcdcd…\) until 2026-11-21T12:04:00\.000Z \(in 240 s\); 120 handled, 0 crashed, 1 failed, p99 3\.2 ms; thresholds crash 1%, failure 5%, p99 1000 ms, bake 300 s$/m,
    );
    const ended = { ...rollout, phase: 'rolled-back' as const, reason: 'crash rate 2/5 above 1%' };
    assert.match(
      formatAgentDetail(agent({ rollout: ended }), NOW),
      /^rollout\s+canary:10, rolled-back version 3 .*; crash rate 2\/5 above 1%$/m,
    );
    assert.match(formatAgentDetail(agent(), NOW), /^rollout\s+\(none\)$/m);
  });

  it('shows a circuit breaker that is not closed with the state, and in detail (decision 1921)', () => {
    assert.match(formatAgentDetail(agent(), NOW), /^breaker\s+closed$/m);
    const open = agent({ breaker: { state: 'open', failures: 5, retryAfterMs: 8_200 } });
    assert.match(formatAgentTable([open]).split('\n')[1]!, /^echo\s+running \(breaker open\)\s/);
    assert.match(formatAgentDetail(open, NOW), /^breaker\s+open: 5 failed in a row, new sends refused; probe in 8\.2 s$/m);
    assert.match(
      formatAgentDetail(agent({ breaker: { state: 'half-open', failures: 5 } }), NOW),
      /^breaker\s+half-open: 5 failed in a row, a probe message is being handled/m,
    );
  });

  it("shows an absent agent's queue with the state, and in detail (decision 1990)", () => {
    assert.match(
      formatAgentDetail(agent(), NOW),
      /^absent queue\s+\(present\) keeps node default messages for node default while stopped/m,
    );
    const stopped = agent({ state: 'stopped', absentQueue: { queued: 3, limit: 1_000, ttlMs: 86_400_000 } });
    assert.match(formatAgentTable([stopped]).split('\n')[1]!, /^echo\s+stopped \(3 queued\)\s/);
    assert.match(
      formatAgentDetail(stopped, NOW),
      /^absent queue\s+3 of 1,000 waiting, each kept 1d before it is dead-lettered \(absent-ttl\)$/m,
    );
  });

  it('shows an agent scaled across nodes replica by replica: node, active or passive, handled where known (decision 2097)', () => {
    const across = agent({
      replicas: {
        replicas: 3,
        draining: 0,
        units: [
          { replica: 1, node: 'n1', activeOn: ['n1'], handled: 40 },
          { replica: 2, node: 'n2', activeOn: ['n2'] },
          { replica: 3, node: 'n3', activeOn: [] },
          { replica: 4, node: 'n2', activeOn: ['n1'] },
        ],
      },
    });
    assert.match(formatAgentTable([across]).split('\n')[1]!, /^echo\s+running \(3 replicas, 3 active\)\s/);
    const detail = formatAgentDetail(across, NOW);
    assert.match(detail, /^replicas\s+3 replicas, 3 active \(conversations stay on one replica; decision 2093\)$/m);
    assert.match(detail, /^replica 1\s+on n1: active \(handled 40\)$/m);
    assert.match(detail, /^replica 2\s+on n2: active$/m);
    assert.match(detail, /^replica 3\s+on n3: passive \(activated by its next message\)$/m);
    assert.match(detail, /^replica 4\s+on n2: active on n1, above the count: draining$/m);
  });

  it('shows replicas behind the name with the state, and in detail (decision 2010)', () => {
    assert.doesNotMatch(formatAgentDetail(agent(), NOW), /^replicas/m, 'one instance: no replicas line');
    const scaled = agent({ replicas: { replicas: 3, draining: 0 } });
    assert.match(formatAgentTable([scaled]).split('\n')[1]!, /^echo\s+running \(3 replicas\)\s/);
    assert.match(formatAgentDetail(scaled, NOW), /^replicas\s+3 replicas \(conversations stay on one replica; decision 2010\)$/m);
    const draining = agent({ replicas: { replicas: 1, draining: 2 }, breaker: { state: 'open', failures: 5, retryAfterMs: 100 } });
    assert.match(formatAgentTable([draining]).split('\n')[1]!, /^echo\s+running \(1 replica, 2 draining, breaker open\)\s/);
    // Held when the node started: it runs as one, its record says 3 (review finding 11).
    const held = agent({ replicas: { replicas: 1, draining: 0, recorded: 3 } });
    assert.match(formatAgentTable([held]).split('\n')[1]!, /^echo\s+running \(1 replica, 3 recorded\)\s/);
    assert.match(formatAgentDetail(held, NOW), /^replicas\s+1 replica, 3 recorded \(/m);
  });

  it('shows where an instance another node holds is, not a state (decision 2060)', () => {
    const there = agent({ name: 'counter/alice', state: 'unknown', nodeId: 'n2', elsewhere: { partition: 7 } });
    assert.match(formatAgentTable([there]).split('\n')[1]!, /^counter\/alice\s+on n2 \(partition 7\)\s/);
    assert.match(
      formatAgentDetail(there, NOW),
      /^state\s+on n2 \(partition 7\): its live state is known there; ask that node \(caxton --addr <its address> agents counter\/alice\)$/m,
    );
    assert.match(formatAgentTable([{ ...there, nodeId: '' }]).split('\n')[1]!, /^counter\/alice\s+partition 7, no live node\s/);
  });

  it('shows the node status with the cluster', () => {
    const status: Parameters<typeof formatStatus>[0] = {
      nodeId: 'n1',
      version: '0.1.0',
      startedAt: NOW - 7_200_000,
      uptimeMs: 7_200_000,
      agentsTotal: 3,
      agentsRunning: 2,
      nodes: [
        { id: 'n1', address: '10.0.0.1:50051', startedAt: NOW - 7_200_000, lastSeen: NOW - 1000, agents: ['a', 'b'], self: true },
        { id: 'n2', address: '10.0.0.2:50051', startedAt: NOW - 60_000, lastSeen: NOW - 2000, agents: [], self: false },
      ],
      storage: [
        { role: 'bus', kind: 'kafka', location: 'k1:9092' },
        { role: 'registry', kind: 'etcd', location: 'e1:2379' },
      ],
    };
    const out = formatStatus(status, NOW);
    assert.match(out, /^uptime\s+2h$/m);
    assert.doesNotMatch(out, /^platform/m, 'a node that predates the platform field shows none');
    assert.match(formatStatus({ ...status, platform: 'caxton-a' }, NOW), /^platform\s+caxton-a \(agents are <name>@caxton-a\)$/m);
    assert.match(out, /^bus\s+kafka k1:9092$/m);
    assert.match(out, /^n1 \*\s+10\.0\.0\.1:50051\s+2h\s+1s ago\s+2: a, b$/m);
    assert.match(out, /^n2\s+10\.0\.0\.2:50051\s+1m\s+2s ago\s+-$/m);
  });

  it('shows the kill switch in the node status: thawed, or frozen with its scope and the suspended agents', () => {
    const base = {
      nodeId: 'n1',
      version: '0.1.0',
      startedAt: NOW - 1000,
      uptimeMs: 1000,
      agentsTotal: 2,
      agentsRunning: 1,
      nodes: [],
      storage: [],
    };
    assert.match(
      formatStatus({ ...base, killSwitch: { frozen: false, nodeFrozen: false, clusterFrozen: false, suspended: [] } }, NOW),
      /^kill switch\s+thawed$/m,
    );
    const frozen = formatStatus(
      { ...base, killSwitch: { frozen: true, nodeFrozen: true, clusterFrozen: true, suspended: ['spammer'] } },
      NOW,
    );
    assert.match(frozen, /^kill switch\s+FROZEN \(this node \+ cluster\): no agent code runs; suspended: spammer$/m);
    assert.doesNotMatch(formatStatus(base, NOW), /kill switch/, 'a node without the switch shows no line');
  });

  it('shows how far back replay reaches (issue 57); a node that predates the field shows no line', () => {
    const base = {
      nodeId: 'n1',
      version: '0.1.0',
      startedAt: NOW - 1000,
      uptimeMs: 1000,
      agentsTotal: 0,
      agentsRunning: 0,
      nodes: [],
      storage: [],
    };
    const held = { segments: 3, heldBytes: 192 * 1024 * 1024, historySeconds: 3600, historyBytes: 1024 * 1024 * 1024 };
    assert.match(
      formatStatus({ ...base, replay: { source: 'embedded', oldestRecordAt: NOW - 7_200_000, ...held } }, NOW),
      /^replay\s+back to 2026-11-21T10:00:00\.000Z, 2h ago \(3 segments, 192 MiB held; history 3600 s \/ 1\.0 GiB\)$/m,
    );
    assert.match(
      formatStatus({ ...base, replay: { source: 'embedded', ...held, segments: 1, heldBytes: 24, historySeconds: 0 } }, NOW),
      /^replay\s+oldest record's time not known \(1 segment, 24 B held; no history kept\)$/m,
    );
    const nothing = { segments: 0, heldBytes: 0, historySeconds: 0, historyBytes: 0 };
    assert.match(
      formatStatus({ ...base, replay: { source: 'memory', ...nothing } }, NOW),
      /^replay\s+nothing to replay: the memory log keeps nothing on disk$/m,
    );
    assert.match(
      formatStatus({ ...base, replay: { source: 'kafka', ...nothing, historySeconds: 7 * 24 * 3600 } }, NOW),
      /^replay\s+from the cluster's Kafka topics \(caxton replay <agent> --kafka … --etcd …; deliveries kept 7d\)$/m,
    );
    assert.doesNotMatch(formatStatus(base, NOW), /^replay/m);
    // An agent's own history (decision 2182): a line each, under the log's.
    const agents = [
      {
        agent: 'billing',
        oldestCopyClosedAt: NOW - 86_400_000,
        files: 12,
        heldBytes: 3 * 1024 * 1024,
        historySeconds: 604_800,
        historyBytes: 1024 ** 3,
      },
      { agent: 'fresh', files: 0, heldBytes: 0, historySeconds: 3600, historyBytes: 256 * 1024 * 1024 },
    ];
    const withAgents = formatStatus({ ...base, replay: { source: 'embedded', ...held, agents } }, NOW);
    assert.match(
      withAgents,
      /^replay billing\s+copies from before 2026-11-20T12:00:00\.000Z, 1d ago \(12 files, 3\.0 MiB held; history 604800 s \/ 1\.0 GiB\)$/m,
    );
    assert.match(
      withAgents,
      /^replay fresh\s+nothing copied yet: the log still holds all of it \(0 files, 0 B held; history 3600 s \/ 256 MiB\)$/m,
    );
  });

  it('prints one line per message and log entry', () => {
    const line = formatMessageLine({
      messageId: 'm1',
      acceptedAt: NOW,
      message: {
        performative: 'request',
        sender: { name: 'buyer@p' },
        receivers: [{ name: 'seller@p' }, { name: 'other@p' }],
        conversationId: 'c1',
        content: 'say "hi"\nnow',
      },
    });
    assert.equal(line, '2026-11-21T12:00:00.000Z  request          buyer@p -> seller@p,other@p  conv=c1  "say \\"hi\\"\\nnow"\n');
    assert.equal(
      formatLogLine({ agent: 'echo', at: NOW, level: 'warn', message: 'careful', nodeId: 'n1' }, true),
      '2026-11-21T12:00:00.000Z  WARN   echo  careful\n',
    );
  });

  it('draws the upload progress bar', () => {
    assert.equal(ProgressBar.render('deploying echo', 512 * 1024, 1024 * 1024, 10), 'deploying echo [#####-----]  50%  512 KiB / 1.0 MiB');
    assert.equal(ProgressBar.render('x', 10, 10, 4), 'x [####] 100%  10 B / 10 B');
    const written: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => written.push(s), isTTY: true }, 'up', 100, () => 0);
    bar.update(10);
    bar.update(20); // within 100 ms of the last draw: skipped
    bar.update(100); // the end is always drawn
    bar.finish();
    assert.equal(written.length, 3);
    assert.match(written[1]!, /100%/);
    assert.equal(written[2], '\n');
    assert.equal(ProgressBar.enabled({ write: () => true, isTTY: false }, false), false);
  });
});

describe('errors and exit codes', () => {
  const facts = { address: '127.0.0.1:50051', tokenFile: '/w/.caxton/auth-token', timeoutMs: 30_000 };

  it('maps gRPC statuses to documented exit codes', () => {
    assert.equal(exitCodeForStatus(status.INVALID_ARGUMENT), EXIT.USAGE);
    assert.equal(exitCodeForStatus(status.NOT_FOUND), EXIT.NOT_FOUND);
    assert.equal(exitCodeForStatus(status.UNAVAILABLE), EXIT.UNAVAILABLE);
    assert.equal(exitCodeForStatus(status.UNAUTHENTICATED), EXIT.AUTH);
    assert.equal(exitCodeForStatus(status.ALREADY_EXISTS), EXIT.CONFLICT);
    assert.equal(exitCodeForStatus(status.RESOURCE_EXHAUSTED), EXIT.EXHAUSTED);
    assert.equal(exitCodeForStatus(status.INTERNAL), EXIT.FAILURE);
  });

  it('explains an unreachable runtime with the next step', async () => {
    const err = new ApiCallError(
      status.UNAVAILABLE,
      'grpc.unavailable',
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50051. Resolution note: ',
      {},
    );
    const e = await explain(err, facts);
    assert.equal(e.exitCode, EXIT.UNAVAILABLE);
    assert.equal(
      e.text,
      'caxton: no runtime at 127.0.0.1:50051 (connect ECONNREFUSED)\n  hint: start one with `caxton serve`, or point --addr / CAXTON_ADDR at a running node (add --tls-ca if it uses TLS)\n',
    );
  });

  it("keeps the node's own message for a Caxton UNAVAILABLE (e.g. shutting down)", async () => {
    const err = new ApiCallError(status.UNAVAILABLE, 'node.unavailable', 'the node is shutting down', { hint: 'reconnect later' });
    assert.equal((await explain(err, facts)).text, 'caxton: the node is shutting down\n  hint: reconnect later\n');
  });

  it('says where the token was looked for', async () => {
    const err = new ApiCallError(status.UNAUTHENTICATED, 'api.unauthenticated', 'missing credentials', {});
    assert.match((await explain(err, facts)).text, /none was found \(looked in \/w\/\.caxton\/auth-token\)/);
    assert.match((await explain(err, { ...facts, tokenSource: '--token' })).text, /rejected the token from --token/);
  });

  it('names the flag behind a rejected field', async () => {
    const err = new ApiCallError(status.INVALID_ARGUMENT, 'api.invalid', 'header.memory_pages: must be 1-65536', {
      fieldViolations: [{ field: 'header.memory_pages', description: 'x' }],
    });
    assert.equal((await explain(err, facts)).text, 'caxton: header.memory_pages: must be 1-65536 [header.memory_pages (--memory)]\n');
  });

  it('points a domain field (the node limit check) at its flag too', async () => {
    const err = new ApiCallError(status.INVALID_ARGUMENT, 'api.invalid', 'limits.fuelPerMessage: must be between 1 and 1000', {
      fieldViolations: [{ field: 'limits.fuelPerMessage', description: 'x' }],
    });
    assert.equal(
      (await explain(err, facts)).text,
      'caxton: limits.fuelPerMessage: must be between 1 and 1000 [limits.fuelPerMessage (--fuel)]\n',
    );
  });

  it('passes CLI errors through with their exit code', async () => {
    assert.deepEqual(await explain(new CliError(EXIT.NOT_FOUND, 'gone', 'look elsewhere')), {
      exitCode: 3,
      text: 'caxton: gone\n  hint: look elsewhere\n',
    });
    assert.equal((await explain(new Error('boom'))).exitCode, EXIT.FAILURE);
  });

  it('extracts the socket error from grpc-js prose', () => {
    assert.equal(transportReason('No connection established. Last error: Error: connect ECONNREFUSED 1.2.3.4:5.'), 'connect ECONNREFUSED');
    assert.equal(transportReason('something else entirely'), 'something else entirely');
  });
});

describe('topic subscriptions (caxton topics)', () => {
  it('shows topic, agent and the filter in one line; "-" for none; a note when empty', () => {
    const table = formatTopicTable([
      { topic: 'market.prices', agent: 'all-news' },
      {
        topic: 'market.prices',
        agent: 'eu-prices',
        filter: {
          all: [
            { field: 'performative', match: { in: ['inform', 'propose'] } },
            { field: 'X-region', match: { prefix: 'eu-' } },
            { field: 'ontology', match: { equals: 'fx' } },
          ],
        },
      },
    ]);
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0]!, /^TOPIC\s+AGENT\s+FILTER$/);
    assert.match(lines[1]!, /^market\.prices\s+all-news\s+-$/);
    assert.match(lines[2]!, /^market\.prices\s+eu-prices\s+performative in \{inform,propose\} & X-region\^=eu- & ontology=fx$/);
    assert.equal(formatTopicTable([]), 'no subscriptions\n');
  });
});
