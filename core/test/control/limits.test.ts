/**
 * The limits table drives validation (decision 1720): every limit's ceiling is accepted and one
 * past it refused with the typed error naming the limit and its ceiling; defaults fill what is not
 * given; docs/sandbox.md's limits table is the table, rendered.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  AGENT_LIMIT_TABLE,
  checkLimits,
  DEFAULT_AGENT_LIMITS,
  DEPLOYABLE_LIMITS,
  LIMIT_NAMES,
  LimitOutOfRangeError,
  limitField,
  renderLimitsTable,
  resolveAgentLimits,
  CaxtonError,
  DEFAULT_TRAFFIC_LIMITS,
  resolveTrafficLimits,
  SERVE_TRAFFIC_LIMITS,
  TRAFFIC_LIMIT_TABLE,
  PREPARE_CACHE_LIMIT_TABLE,
  resolvePrepareCacheLimits,
  resolveRolloutThresholds,
  ROLLOUT_LIMIT_TABLE,
  ARTIFACT_LIMIT_TABLE,
  EDGE_LIMIT_TABLE,
  resolveEdgeLimits,
  type LimitRow,
  NODE_LIMIT_TABLE,
  CLUSTER_LIMIT_TABLE,
  KAFKA_REQUEST_LIMIT_TABLE,
  AUDIT_SEGMENT_LIMIT_TABLE,
  KIND_LIMIT_TABLE,
  REPLICA_LIMIT_TABLE,
  checkReplicaTable,
  checkNodeTable,
  checkClusterTable,
  checkKafkaRequestTable,
  checkTable,
  rowInFlagUnit,
  tableRowsOf,
} from '../../src/index.js';

/** A number as the hints write it: grouped in thousands ("1,000,000"). */
const grouped = (n: number): string => n.toLocaleString('en-US');

const SANDBOX_DOC = fileURLToPath(new URL('../../../../docs/sandbox.md', import.meta.url));

describe('the limits table', () => {
  for (const name of LIMIT_NAMES) {
    const def = AGENT_LIMIT_TABLE[name];
    it(`${name}: accepts 1..${def.ceiling}, refuses ${def.ceiling + 1}, 0 and fractions with LimitOutOfRangeError`, () => {
      assert.ok(def.default >= 1 && def.default <= def.ceiling, 'the default is within range');
      assert.deepEqual(checkLimits({ [name]: def.ceiling }), { [name]: def.ceiling });
      assert.deepEqual(checkLimits({ [name]: 1 }), { [name]: 1 });
      for (const bad of [def.ceiling + 1, 0, -1, 1.5, Number.NaN, '5']) {
        const err = (() => {
          try {
            checkLimits({ [name]: bad }, { field: 'header' });
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        assert.ok(err instanceof LimitOutOfRangeError, `${String(bad)} must be refused`);
        assert.equal(err.code, 'limits.out-of-range');
        assert.equal(err.kind, 'invalid-argument');
        assert.equal(err.limit, name);
        assert.equal(err.context['field'], limitField(name, 'header'));
        assert.equal(err.context['ceiling'], def.ceiling);
        assert.match(
          err.hint ?? '',
          new RegExp(`^${name}\\b.*accepts 1\\.\\.${grouped(def.ceiling)} `),
          'the hint names the limit and its ceiling, grouped',
        );
      }
    });
  }

  it('names the proto field of a deployable limit and the limit itself otherwise', () => {
    assert.equal(limitField('sendsPerSecond', 'header'), 'header.max_sends_per_s');
    assert.equal(limitField('maxOutbox', 'header'), 'header.max_sends_per_call');
    assert.equal(limitField('maxTimers', 'header'), 'header.maxTimers');
    assert.equal(limitField('memoryPages'), 'limits.memoryPages');
  });

  it('fills the defaults, and a lower ceiling (a node maximum) binds', () => {
    assert.deepEqual(resolveAgentLimits(), DEFAULT_AGENT_LIMITS);
    const r = resolveAgentLimits({ sendsPerSecond: 50 });
    assert.equal(r.sendsPerSecond, 50);
    assert.equal(r.maxOutbox, AGENT_LIMIT_TABLE.maxOutbox.default);
    assert.throws(
      () => checkLimits({ sendsPerSecond: 600 }, { ceilings: { sendsPerSecond: 500 } }),
      (e: unknown) => e instanceof LimitOutOfRangeError && e.context['ceiling'] === 500,
    );
  });

  it('refuses a limit it does not know (a misspelt limit would silently not apply)', () => {
    assert.throws(
      () => checkLimits({ sendsPerSec: 5 } as never),
      (e: unknown) => e instanceof CaxtonError && e.code === 'limits.unknown',
    );
  });

  it('marks fuel, memory, the two send quotas and the absent queue as set per deployment, with a flag and a wire field each', () => {
    assert.deepEqual(
      [...DEPLOYABLE_LIMITS],
      ['fuelPerMessage', 'memoryPages', 'maxOutbox', 'sendsPerSecond', 'absentQueue', 'absentTtlMs'],
    );
    assert.deepEqual(
      DEPLOYABLE_LIMITS.map((n) => AGENT_LIMIT_TABLE[n].deploy.flag),
      ['fuel', 'memory', 'max-sends-per-call', 'max-sends-per-s', 'absent-queue', 'absent-ttl'],
    );
  });

  it('is what docs/sandbox.md shows (regenerate the table there from renderLimitsTable())', () => {
    const doc = readFileSync(SANDBOX_DOC, 'utf8');
    const m = /<!-- limits-table:start[^>]*-->\n([\s\S]*?)\n<!-- limits-table:end -->/.exec(doc);
    assert.ok(m, 'docs/sandbox.md has the limits-table markers');
    assert.equal(m[1], renderLimitsTable());
  });
});

describe('the fuel-fair limits (decisions 2136, 2140): node-wide traffic limits, set per node with caxton serve', () => {
  it('are rows of the traffic table with their defaults, and the only ones serve sets', () => {
    assert.deepEqual(
      [...SERVE_TRAFFIC_LIMITS],
      ['mailboxTextUnits', 'nodeMailboxTextUnits', 'fairQuantumFuel', 'fairWindowMs', 'fairIdleMs'],
    );
    assert.deepEqual(
      SERVE_TRAFFIC_LIMITS.map((n) => TRAFFIC_LIMIT_TABLE[n].serve),
      ['mailbox-text', 'node-mailbox-text', 'fair-quantum-fuel', 'fair-window', 'fair-idle'],
    );
    // A mailbox's text budget holds at least 32 messages of the largest size (1 Mi code units).
    assert.deepEqual([DEFAULT_TRAFFIC_LIMITS.mailboxTextUnits, DEFAULT_TRAFFIC_LIMITS.nodeMailboxTextUnits], [32 * 2 ** 20, 256 * 2 ** 20]);
    assert.deepEqual(
      [DEFAULT_TRAFFIC_LIMITS.fairQuantumFuel, DEFAULT_TRAFFIC_LIMITS.fairWindowMs, DEFAULT_TRAFFIC_LIMITS.fairIdleMs],
      [10_000_000, 1_000, 50],
    );
    // A quantum at its ceiling is past any handling's fuel: no run makes a debtor.
    assert.equal(TRAFFIC_LIMIT_TABLE.fairQuantumFuel.ceiling, AGENT_LIMIT_TABLE.fuelPerMessage.ceiling);
  });

  for (const name of ['fairQuantumFuel', 'fairWindowMs', 'fairIdleMs'] as const) {
    const row = TRAFFIC_LIMIT_TABLE[name];
    it(`${name}: accepts 1..${row.ceiling}, refuses 0, ${row.ceiling + 1} and fractions, naming the field`, () => {
      assert.equal(resolveTrafficLimits({ [name]: 1 })[name], 1);
      assert.equal(resolveTrafficLimits({ [name]: row.ceiling })[name], row.ceiling);
      for (const bad of [0, row.ceiling + 1, 1.5]) {
        assert.throws(
          () => resolveTrafficLimits({ [name]: bad }),
          (e: unknown) =>
            e instanceof CaxtonError &&
            e.code === 'limits.out-of-range' &&
            e.context['field'] === `traffic.${name}` &&
            e.context['ceiling'] === row.ceiling &&
            e.hint?.includes(`caxton serve --${row.serve}`) === true,
        );
      }
    });
  }
});

describe("the prepare cache's bound (decisions 2141, 2145): a node-wide row, set with caxton serve in MiB", () => {
  const row = PREPARE_CACHE_LIMIT_TABLE.maxBytes;
  it(`accepts ${row.min}..${row.ceiling} bytes, refuses one past either end, with the serve flag, its unit and the default in the hint`, () => {
    assert.equal(resolvePrepareCacheLimits({ maxBytes: row.min }).maxBytes, row.min);
    assert.equal(resolvePrepareCacheLimits({ maxBytes: row.ceiling }).maxBytes, row.ceiling);
    for (const bad of [row.min - 1, row.ceiling + 1]) {
      assert.throws(
        () => resolvePrepareCacheLimits({ maxBytes: bad }),
        (e: unknown) =>
          e instanceof CaxtonError &&
          e.code === 'limits.out-of-range' &&
          e.context['limit'] === 'maxBytes' &&
          e.hint?.startsWith(
            'maxBytes (caxton serve --prepare-cache-max-mib, in MiB) accepts 67,108,864..1,099,511,627,776 bytes (64..1,048,576 MiB); omit it for the default, 4,294,967,296 bytes (4,096 MiB)',
          ) === true,
      );
    }
  });
});

describe('one check and one refusal for every table (decision 2147)', () => {
  it("refuses a value out of any table's row with LimitOutOfRangeError, carrying the bounds that applied and the row's hint", () => {
    const cases: [() => unknown, string, number, number][] = [
      [() => checkLimits({ absentQueue: 0 }, { field: 'flags' }), 'absentQueue', 1, AGENT_LIMIT_TABLE.absentQueue.ceiling],
      [() => resolveTrafficLimits({ fairIdleMs: 10_001 }), 'fairIdleMs', 1, TRAFFIC_LIMIT_TABLE.fairIdleMs.ceiling],
      [
        () => resolvePrepareCacheLimits({ maxBytes: 1 }),
        'maxBytes',
        PREPARE_CACHE_LIMIT_TABLE.maxBytes.min,
        PREPARE_CACHE_LIMIT_TABLE.maxBytes.ceiling,
      ],
      [() => resolveRolloutThresholds({ maxP99Ms: 0 }), 'maxP99Ms', ROLLOUT_LIMIT_TABLE.maxP99Ms.min, ROLLOUT_LIMIT_TABLE.maxP99Ms.ceiling],
      [() => checkNodeTable({ shards: 257 }), 'shards', 1, NODE_LIMIT_TABLE.shards.ceiling],
      [() => checkClusterTable({ leaseTtlSeconds: 0 }), 'leaseTtlSeconds', 1, CLUSTER_LIMIT_TABLE.leaseTtlSeconds.ceiling],
      [() => checkClusterTable({ partitions: 4_097 }), 'partitions', 1, CLUSTER_LIMIT_TABLE.partitions.ceiling],
      [() => checkClusterTable({ sessionTimeoutMs: 999 }), 'sessionTimeoutMs', 1_000, CLUSTER_LIMIT_TABLE.sessionTimeoutMs.ceiling],
      [() => checkKafkaRequestTable({ lingerMs: -1 }), 'lingerMs', 0, KAFKA_REQUEST_LIMIT_TABLE.lingerMs.ceiling],
      [() => checkReplicaTable({ replicas: 17 }), 'replicas', 1, REPLICA_LIMIT_TABLE.replicas.ceiling],
    ];
    for (const [refuse, limit, min, ceiling] of cases) {
      assert.throws(
        refuse,
        (e: unknown) =>
          e instanceof LimitOutOfRangeError &&
          e.code === 'limits.out-of-range' &&
          e.kind === 'invalid-argument' &&
          e.limit === limit &&
          e.min === min &&
          e.ceiling === ceiling &&
          e.context['min'] === min &&
          e.message.includes(`is not a valid ${limit}; it must be a whole number in ${grouped(min)}..${grouped(ceiling)}`) &&
          new RegExp(
            `^${limit} \\(.*caxton (deploy|serve|upgrade|scale) --.* accepts ${grouped(min)}\\.\\.${grouped(ceiling)} .*; (omit it for the default|it is always given)`,
          ).test(e.hint ?? ''),
        limit,
      );
    }
  });

  it("narrows an options object to a table's rows, so every caller checks the same list", () => {
    const rows = tableRowsOf(CLUSTER_LIMIT_TABLE, { name: 'prod', leaseTtlSeconds: 0, kafkaRequests: { lingerMs: 1 } });
    assert.deepEqual(Object.keys(rows).sort(), Object.keys(CLUSTER_LIMIT_TABLE).sort(), 'every row, nothing else');
    assert.equal(rows.leaseTtlSeconds, 0);
    assert.equal(rows.partitions, undefined);
    assert.throws(
      () => checkClusterTable(rows),
      (e: unknown) => e instanceof LimitOutOfRangeError && e.limit === 'leaseTtlSeconds',
      'then refused by the one check',
    );
  });

  it('refuses a row without a flag by the same check, its hint saying the range without a flag (an embedder sets it)', () => {
    assert.throws(
      () => checkKafkaRequestTable({ fetchMaxBytesPerPartition: 0 }),
      (e: unknown) =>
        e instanceof LimitOutOfRangeError &&
        e.limit === 'fetchMaxBytesPerPartition' &&
        e.min === 1 &&
        e.ceiling === KAFKA_REQUEST_LIMIT_TABLE.fetchMaxBytesPerPartition.ceiling &&
        e.hint?.startsWith('fetchMaxBytesPerPartition accepts 1..67,108,864 bytes; omit it for the default, 1,048,576 bytes.') === true,
    );
    assert.throws(
      () => checkClusterTable({ drainTimeoutMs: 600_001 }),
      (e: unknown) =>
        e instanceof LimitOutOfRangeError &&
        e.limit === 'drainTimeoutMs' &&
        e.min === 0 &&
        e.hint?.startsWith('drainTimeoutMs accepts 0..600,000 ms; omit it for the default, 5,000 ms.') === true,
    );
  });

  it("says the default of a row whose flag takes another unit in that unit too, from the row's flagScale", () => {
    assert.throws(
      () => resolvePrepareCacheLimits({ maxBytes: 0 }),
      (e: unknown) =>
        e instanceof LimitOutOfRangeError && /omit it for the default, 4,294,967,296 bytes \(4,096 MiB\)\./.test(e.hint ?? ''),
    );
  });

  it("says a row whose flag takes the row's own unit once, in that unit (the edge rows: messages, ms)", () => {
    const hints: [() => unknown, string][] = [
      [
        () => resolveEdgeLimits({ targetDelayMs: 0 }),
        'targetDelayMs (caxton serve --edge-target-ms) accepts 1..60,000 ms; omit it for the default, 15 ms. ',
      ],
      [
        () => resolveEdgeLimits({ maxLimit: 32, servingMinLimit: 64 }),
        'servingMinLimit (caxton serve --edge-serving-floor) accepts 1..32 messages; omit it for the default, 128 messages. ',
      ],
      [
        () => resolveEdgeLimits({ maxLimit: 3 }),
        'maxLimit (caxton serve --edge-max-in-flight) accepts 4..1,000,000 messages; omit it for the default, 10,000 messages. ',
      ],
    ];
    for (const [refuse, hint] of hints)
      assert.throws(refuse, (e: unknown) => e instanceof LimitOutOfRangeError && e.hint?.startsWith(hint) === true, hint);
  });

  const tables: Record<string, Readonly<Record<string, LimitRow>>> = {
    AGENT_LIMIT_TABLE,
    TRAFFIC_LIMIT_TABLE,
    PREPARE_CACHE_LIMIT_TABLE,
    ROLLOUT_LIMIT_TABLE,
    ARTIFACT_LIMIT_TABLE,
    EDGE_LIMIT_TABLE,
    NODE_LIMIT_TABLE,
    CLUSTER_LIMIT_TABLE,
    KAFKA_REQUEST_LIMIT_TABLE,
    AUDIT_SEGMENT_LIMIT_TABLE,
    KIND_LIMIT_TABLE,
    REPLICA_LIMIT_TABLE,
  };

  it('gives every row either a default within its range or a computed default in words, never both (decision 2149)', () => {
    for (const [tableName, table] of Object.entries(tables)) {
      for (const [name, row] of Object.entries(table)) {
        const where = `${tableName}.${name}`;
        assert.ok((row.default === undefined) !== (row.computedDefault === undefined), `${where}: one default, a number or computed`);
        if (row.default !== undefined)
          assert.ok(row.default >= (row.min ?? 1) && row.default <= row.ceiling, `${where}: its default within its range`);
      }
    }
  });

  it("says a computed default in words in the refusal's hint, and checks the row's range all the same (the shards)", () => {
    assert.deepEqual(checkNodeTable({ shards: 256 }), { shards: 256 });
    assert.throws(
      () => checkNodeTable({ shards: 0 }, 'startNode'),
      (e: unknown) =>
        e instanceof LimitOutOfRangeError &&
        e.message === 'startNode.shards: 0 is not a valid shards; it must be a whole number in 1..256 (shards)' &&
        e.hint ===
          `shards (caxton serve --shards) accepts 1..256 shards; omit it for the default, computed from the cores (1 on up to 2, else cores − 1, at most 256). ${NODE_LIMIT_TABLE.shards.description}`,
    );
  });

  it("says a row in its flag's unit for an option given in it (the heap in MiB): range, default and unit scaled, a fraction of it refused (decision 2149)", () => {
    const row = ARTIFACT_LIMIT_TABLE.prepareHeapBytes;
    const inMib = rowInFlagUnit(row);
    assert.deepEqual(
      { unit: inMib.unit, min: inMib.min, ceiling: inMib.ceiling, default: inMib.default, flagScale: inMib.flagScale },
      { unit: 'MiB', min: 64, ceiling: 16_384, default: 1_024, flagScale: undefined },
    );
    assert.equal(rowInFlagUnit(EDGE_LIMIT_TABLE.maxLimit), EDGE_LIMIT_TABLE.maxLimit, 'a row without a flagScale is itself');
    assert.throws(
      () => checkTable({ maxHeapMb: inMib }, { maxHeapMb: 100.5 }, { field: 'startNode.prepare', what: 'prepare option' }),
      (e: unknown) =>
        e instanceof LimitOutOfRangeError &&
        e.message === 'startNode.prepare.maxHeapMb: 100.5 is not a valid maxHeapMb; it must be a whole number in 64..16,384 (MiB)',
    );
  });

  it("scales a flag only into a larger unit: every flagScale has per above 1 and a unit other than its row's", () => {
    for (const [tableName, table] of Object.entries(tables)) {
      for (const [name, row] of Object.entries(table)) {
        if (row.flagScale === undefined) continue;
        assert.ok(
          row.flagScale.per > 1 && row.flagScale.unit !== row.unit,
          `${tableName}.${name}: a flagScale of ${row.flagScale.per} ${row.flagScale.unit} is no larger unit of ${row.unit}`,
        );
      }
    }
  });
});
