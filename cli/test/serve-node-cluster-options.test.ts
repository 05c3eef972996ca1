/**
 * `caxton serve --shards / --lease-ttl / --partitions / --kafka-session-timeout / --kafka-linger-ms /
 * --kafka-fetch-*` read from core's NODE_LIMIT_TABLE, CLUSTER_LIMIT_TABLE and KAFKA_REQUEST_LIMIT_TABLE rows (decision 2149): valid values reach the node's options as before; one past
 * either end of a row, or a text that is not digits, is a usage error in the row's unit with its hint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUDIT_SEGMENT_LIMIT_TABLE,
  CLUSTER_LIMIT_TABLE,
  KAFKA_REQUEST_LIMIT_TABLE,
  NODE_LIMIT_TABLE,
  REPLAY_HISTORY_LIMIT_TABLE,
} from '@caxton/core';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';
import { run } from '../src/app.js';
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
const cluster = { kafka: 'k1:9092', etcd: 'e1:2379' };
const withFlags = (flags: Record<string, string>): typeof base => ({ ...base, ...flags }) as typeof base;

describe('serve --shards, --lease-ttl and --partitions from their rows (decision 2149)', () => {
  it("pass each row's least and most to the node as before, and nothing when not given", () => {
    for (const text of ['1', '256']) assert.equal(nodeOptions(withFlags({ shards: text }), '/srv').shards, Number(text));
    assert.equal(nodeOptions(base, '/srv').shards, undefined, 'the node computes the default from the cores');
    assert.deepEqual(nodeOptions(withFlags({ ...cluster, 'lease-ttl': '1', partitions: '1' }), '/srv').cluster, {
      leaseTtlSeconds: 1,
      partitions: 1,
    });
    assert.deepEqual(nodeOptions(withFlags({ ...cluster, 'lease-ttl': '86400', partitions: '4096' }), '/srv').cluster, {
      leaseTtlSeconds: 86_400,
      partitions: 4_096,
    });
    assert.equal(nodeOptions(withFlags(cluster), '/srv').cluster, undefined);
  });

  it("refuse each flag one past its row, in its unit with the row's hint, and a text that is not digits", () => {
    const cases = [
      ['shards', '0', '257', '1..256 (shards)', NODE_LIMIT_TABLE.shards],
      ['lease-ttl', '0', '86401', '1..86,400 (seconds)', CLUSTER_LIMIT_TABLE.leaseTtlSeconds],
      ['partitions', '0', '4097', '1..4,096 (partitions)', CLUSTER_LIMIT_TABLE.partitions],
    ] as const;
    for (const [flag, low, high, range, row] of cases) {
      for (const text of [low, high]) {
        assert.throws(
          () => nodeOptions(withFlags({ ...cluster, [flag]: text }), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `--${flag} ${text} is out of range: it must be ${range}` &&
            err.hint!.includes(row.description),
          `${flag} ${text}`,
        );
      }
      for (const text of ['2.5', '1e1', '10k']) {
        assert.throws(
          () => nodeOptions(withFlags({ ...cluster, [flag]: text }), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `--${flag} "${text}" is not a whole number of ${row.unit}` &&
            /the least it takes/.test(err.hint ?? ''),
          `${flag} ${text}`,
        );
      }
    }
  });

  it("read --kafka-session-timeout and the Kafka request flags from their rows: both ends pass, one past is refused in the flag's unit", () => {
    assert.deepEqual(
      nodeOptions(
        withFlags({
          ...cluster,
          'kafka-session-timeout': '1000',
          'kafka-open-timeout': '500',
          'kafka-linger-ms': '0',
          'kafka-fetch-min-bytes': '1',
          'kafka-fetch-max-wait-ms': '0',
        }),
        '/srv',
      ).cluster,
      { sessionTimeoutMs: 1000, kafkaOpenTimeoutMs: 500, kafkaRequests: { lingerMs: 0, fetchMinBytes: 1, fetchMaxWaitMs: 0 } },
    );
    assert.deepEqual(
      nodeOptions(
        withFlags({
          ...cluster,
          'kafka-session-timeout': '1800000',
          'kafka-open-timeout': '600000',
          'kafka-linger-ms': '100',
          'kafka-fetch-min-bytes': '16777216',
          'kafka-fetch-max-wait-ms': '30000',
        }),
        '/srv',
      ).cluster,
      {
        sessionTimeoutMs: 1_800_000,
        kafkaOpenTimeoutMs: 600_000,
        kafkaRequests: { lingerMs: 100, fetchMinBytes: 16_777_216, fetchMaxWaitMs: 30_000 },
      },
    );
    const cases = [
      ['kafka-session-timeout', ['999', '1800001'], '1,000..1,800,000 (ms)', CLUSTER_LIMIT_TABLE.sessionTimeoutMs],
      ['kafka-open-timeout', ['499', '600001'], '500..600,000 (ms)', CLUSTER_LIMIT_TABLE.kafkaOpenTimeoutMs],
      ['kafka-linger-ms', ['101'], '0..100 (ms)', KAFKA_REQUEST_LIMIT_TABLE.lingerMs],
      ['kafka-fetch-min-bytes', ['0', '16777217'], '1..16,777,216 (bytes)', KAFKA_REQUEST_LIMIT_TABLE.fetchMinBytes],
      ['kafka-fetch-max-wait-ms', ['30001'], '0..30,000 (ms)', KAFKA_REQUEST_LIMIT_TABLE.fetchMaxWaitMs],
    ] as const;
    for (const [flag, texts, range, row] of cases) {
      for (const text of texts) {
        assert.throws(
          () => nodeOptions(withFlags({ ...cluster, [flag]: text }), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `--${flag} ${text} is out of range: it must be ${range}` &&
            err.hint!.includes(row.description),
          `${flag} ${text}`,
        );
      }
      // The flags were yargs numbers: `6e3` and `0x10` were taken then; whole numbers in digits now, as every row flag.
      assert.throws(
        () => nodeOptions(withFlags({ ...cluster, [flag]: '6e3' }), '/srv'),
        (err: unknown) => err instanceof UsageError && err.message === `--${flag} "6e3" is not a whole number of ${row.unit}`,
        `${flag} 6e3`,
      );
    }
    assert.throws(() => nodeOptions(withFlags({ 'kafka-session-timeout': '9000' }), '/srv'), /need cluster mode/);
    assert.throws(() => nodeOptions(withFlags({ 'kafka-open-timeout': '60000' }), '/srv'), /need cluster mode/);
  });

  it("read --audit-segment-bytes and --audit-retain-segments from their rows (decision 2153): both ends pass, one past is refused in the flag's unit", () => {
    assert.deepEqual(nodeOptions(withFlags({ 'audit-segment-bytes': '65536', 'audit-retain-segments': '1' }), '/srv').auditSegments, {
      segmentBytes: 65_536,
      retainSegments: 1,
    });
    assert.deepEqual(
      nodeOptions(withFlags({ 'audit-segment-bytes': '1073741824', 'audit-retain-segments': '1000000' }), '/srv').auditSegments,
      { segmentBytes: 2 ** 30, retainSegments: 1_000_000 },
    );
    assert.equal(nodeOptions(base, '/srv').auditSegments, undefined, "the trail's defaults unless asked");
    const cases = [
      ['audit-segment-bytes', ['65535', '1073741825'], '65,536..1,073,741,824 (bytes)', AUDIT_SEGMENT_LIMIT_TABLE.segmentBytes],
      ['audit-retain-segments', ['0', '1000001'], '1..1,000,000 (closed segments)', AUDIT_SEGMENT_LIMIT_TABLE.retainSegments],
    ] as const;
    for (const [flag, texts, range, row] of cases) {
      for (const text of texts) {
        assert.throws(
          () => nodeOptions(withFlags({ [flag]: text }), '/srv'),
          (err: unknown) =>
            err instanceof UsageError &&
            err.message === `--${flag} ${text} is out of range: it must be ${range}` &&
            err.hint!.includes(row.description),
          `${flag} ${text}`,
        );
      }
      assert.throws(
        () => nodeOptions(withFlags({ [flag]: '4e6' }), '/srv'),
        (err: unknown) => err instanceof UsageError && err.message === `--${flag} "4e6" is not a whole number of ${row.unit}`,
        `${flag} 4e6`,
      );
    }
    // No default number for retention: the hint says what leaving it out does.
    assert.throws(
      () => nodeOptions(withFlags({ 'audit-retain-segments': '0' }), '/srv'),
      (err: unknown) => err instanceof UsageError && err.hint!.includes('omit it for the default, none, every closed segment kept'),
    );
  });

  it("say the shards' computed default in the hint, not a number", () => {
    assert.throws(
      () => nodeOptions(withFlags({ shards: '0' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.hint!.startsWith(
          'shards (caxton serve --shards) accepts 1..256 shards; omit it for the default, computed from the cores (1 on up to 2, else cores − 1, at most 256).',
        ),
    );
  });

  it('suggest the least shards, not the most, for a --shards that is not digits, with the computed default in words', () => {
    assert.throws(
      () => nodeOptions(withFlags({ shards: 'many' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.hint === `e.g. --shards 1 (the least it takes); omit it for the default, ${NODE_LIMIT_TABLE.shards.computedDefault}`,
    );
  });

  it("say that an omitted --partitions takes an existing topic's count, in help and hint alike", async () => {
    assert.throws(
      () => nodeOptions(withFlags({ ...cluster, partitions: '0' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.hint!.includes("omit it for the default, 12 partitions when the node creates the topic; else the topic's own count."),
    );
    assert.throws(
      () => nodeOptions(withFlags({ ...cluster, partitions: 'x' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError &&
        err.hint ===
          "e.g. --partitions 12 (the default when the node creates the topic; else the topic's own count) or --partitions 1 (the least it takes)",
    );
  });

  it("refuse a flag value that is not text (a program's number would otherwise silently mean the default)", () => {
    for (const [flag, value] of [
      ['shards', 3],
      ['lease-ttl', 5],
      ['partitions', [12]],
    ] as const) {
      assert.throws(
        () => nodeOptions({ ...base, ...cluster, [flag]: value } as typeof base, '/srv'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.message.startsWith(`--${flag} is `) &&
          err.message.endsWith(", not the flag's text") &&
          /as yargs passes a string option/.test(err.hint ?? ''),
        flag,
      );
    }
  });

  it('keep --lease-ttl and --partitions to cluster mode', () => {
    for (const flag of ['lease-ttl', 'partitions'])
      assert.throws(() => nodeOptions(withFlags({ [flag]: '5' }), '/srv'), /need cluster mode/, flag);
  });

  it("exit 2 on a refused value, saying it and the row's hint, before any node starts", async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--shards', '257'], io), 2);
    const said = io.err.replace(/\s+/g, ' ');
    assert.ok(said.includes('--shards 257 is out of range: it must be 1..256 (shards)'), said);
    assert.ok(said.includes(NODE_LIMIT_TABLE.shards.description), said);
  });

  it('exit 2 on a refused audit segment or Kafka setting through yargs, the flags read as typed (decision 2153)', async () => {
    for (const [args, says] of [
      [['serve', '--audit-retain-segments', '0'], '--audit-retain-segments 0 is out of range: it must be 1..1,000,000 (closed segments)'],
      [['serve', '--audit-segment-bytes', '4e6'], '--audit-segment-bytes "4e6" is not a whole number of bytes'],
      [
        ['serve', '--kafka', 'k1:9092', '--etcd', 'e1:2379', '--kafka-linger-ms', '101'],
        '--kafka-linger-ms 101 is out of range: it must be 0..100 (ms)',
      ],
    ] as const) {
      const io = captureIo();
      assert.equal(await run([...args], io), 2, args.join(' '));
      const said = io.err.replace(/\s+/g, ' ');
      assert.ok(said.includes(says), said);
    }
  });

  it('are described from their rows in --help', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    const help = io.out.replace(/\s+/g, ' ');
    for (const text of [
      '--shards',
      'a whole number of shards (default computed from the cores (1 on up to 2, else cores − 1, at most 256), from 1 to 256)',
      '--lease-ttl',
      'a whole number of seconds (default 5, from 1 to 86,400)',
      '--partitions',
      "a whole number of partitions (default 12 when the node creates the topic; else the topic's own count, from 1 to 4,096)",
      NODE_LIMIT_TABLE.shards.description,
      CLUSTER_LIMIT_TABLE.leaseTtlSeconds.description,
      CLUSTER_LIMIT_TABLE.partitions.description,
      '--audit-retain-segments',
      'a whole number of closed segments (default none, every closed segment kept, from 1 to 1,000,000)',
      '--kafka-session-timeout',
      'a whole number of ms (default 6,000, from 1,000 to 1,800,000)',
    ]) {
      assert.ok(help.includes(text), text);
    }
  });
});

describe('serve --replay-history-seconds / --replay-history-bytes from their rows (decision 2179)', () => {
  it('pass what is given to the node, nothing when not given, and refuse one past a row', () => {
    assert.equal(nodeOptions(base, '/srv').replayHistory, undefined, 'none given: the table default (nothing kept)');
    assert.deepEqual(
      nodeOptions(withFlags({ 'replay-history-seconds': '3600' }), '/srv').replayHistory,
      { seconds: 3_600 },
      `what is given only: the log takes the bytes' default (${REPLAY_HISTORY_LIMIT_TABLE.bytes.default})`,
    );
    assert.deepEqual(nodeOptions(withFlags({ 'replay-history-seconds': '0', 'replay-history-bytes': '536870912' }), '/srv').replayHistory, {
      seconds: 0,
      bytes: 512 * 1024 * 1024,
    });
    assert.throws(
      () => nodeOptions(withFlags({ ...cluster, 'replay-history-seconds': '60' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError && /a cluster keeps its history in Kafka/.test(err.message) && /retention\.ms/.test(err.hint ?? ''),
      'the embedded log only: refused in cluster mode, not ignored',
    );
    assert.throws(
      () => nodeOptions(withFlags({ 'replay-history-seconds': '2592001' }), '/srv'),
      (err: unknown) =>
        err instanceof UsageError && /--replay-history-seconds 2592001 is out of range: it must be 0\.\.2,592,000/.test(err.message),
    );
  });
});

describe("serve --replay-history-agent: an agent's own history (decision 2182)", () => {
  const agents = (...values: string[]): typeof base => ({ ...base, replayHistoryAgent: values }) as unknown as typeof base;
  it('passes each agent with its time and bytes, the default bytes left to the node, nothing when not given', () => {
    assert.equal(nodeOptions(base, '/srv').agentReplayHistory, undefined);
    assert.deepEqual(nodeOptions(agents('billing=7d:2GiB', 'counter=86400', 'constructor=1h'), '/srv').agentReplayHistory, {
      billing: { seconds: 7 * 86_400, bytes: 2 * 1024 ** 3 },
      counter: { seconds: 86_400 },
      constructor: { seconds: 3600 },
    });
  });
  it('refuses a malformed one, a name twice, one past its rows and any in cluster mode, saying what to give', () => {
    const refused = (argv: typeof base, message: RegExp): void =>
      assert.throws(
        () => nodeOptions(argv, '/srv'),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && (err.hint ?? '').length > 0,
        String(message),
      );
    refused(agents('billing'), /is not <name>=<time>\[:<bytes>\]/);
    refused(agents('billing=soon'), /"soon" is not a whole number of seconds or a duration/);
    refused(agents('billing=1.5s'), /not a whole number of seconds/);
    refused(agents('billing=1h:lots'), /"lots" is not a size/);
    refused(agents('billing=1h', 'billing=2h'), /names billing twice/);
    refused(agents('../etc=1h'), /is not a deployment name/);
    refused(agents('billing=31d'), /billing\.seconds: 2678400 .*must be a whole number in 1\.\.2,592,000/);
    refused(agents('billing=1h:1k'), /billing\.bytes: 1024 .*must be a whole number in 1,048,576\.\./);
    refused({ ...agents('billing=1h'), ...cluster } as typeof base, /a cluster keeps its history in Kafka/);
  });
});
