/**
 * A node's replica units (decision 2093, review fixes 2–4), with an instrumented host whose sandbox
 * pool refuses a second start under the same identity (as the real pool does) and whose start can be
 * held open: a unit whose partition leaves during its start does not leak its sandbox; a stopped
 * agent's units do not start and running ones stop; a unit's identity-keyed effects are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { ReplicaUnits } from '../../../src/topology/cluster/replica-units.js';
import { AgentEffects } from '../../../src/node/agent-effects.js';
import { HttpEffects } from '../../../src/node/http-effects.js';
import type { HttpGateway } from '../../../src/http/gateway.js';
import type { AgentHost, AgentStartSpec } from '../../../src/node/agent-host.js';
import type { AgentMessaging } from '../../../src/node/agent-messaging.js';
import type { AgentTimers } from '../../../src/node/timers.js';
import type { DirectorySync } from '../../../src/node/directory-sync.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import { until } from '../../bus/scripted-port.js';
import { AgentReplicas } from '../../../src/node/replicas/index.js';
import { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import type { AgentLifecycleEvent } from '../../../src/node/local-agents.js';

const record = (extra: Partial<AgentRecord> = {}): AgentRecord =>
  ({
    name: 'svc',
    limits: {},
    config: {},
    artifactDigest: 'd',
    version: 1,
    createdAt: 1,
    updatedAt: 1,
    replicas: 3,
    ...extra,
  }) as AgentRecord;

/** The pool: identities started and not stopped; a start of one already there fails. */
function instrumentedHost(): { host: AgentHost; pool: Set<string>; starts: string[]; stops: string[]; hold: () => () => void } {
  const pool = new Set<string>();
  const starts: string[] = [];
  const stops: string[] = [];
  let gate: Promise<void> | undefined;
  const host = {
    async start(spec: AgentStartSpec) {
      const id = spec.identity.name;
      if (pool.has(id)) throw new Error(`${id} is already deployed`);
      pool.add(id);
      starts.push(id);
      if (gate !== undefined) await gate;
      return {
        agent: id,
        workId: 'init',
        fuelUsed: 0,
        outcome: { status: 'ok' },
        outbox: [],
        timers: [],
        directory: [],
        stateWrites: [],
        http: [],
        logs: [],
      };
    },
    async stop(name: string) {
      stops.push(name);
      pool.delete(name);
    },
  } as unknown as AgentHost;
  return {
    host,
    pool,
    starts,
    stops,
    hold: () => {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

interface UnitsSetup {
  host: AgentHost;
  tenure: Map<string, number>;
  depth: Map<string, number>;
  rec: () => AgentRecord | undefined;
  absent?: () => boolean;
  version?: () => string | undefined;
  undeployed?: () => boolean;
  maxUnits?: number;
  others?: () => number;
  /** Records `refuseNewest` calls (`<unit>:<keep>:<kind>`) and empties the refused mailbox, as the bus does. */
  refused?: string[];
}

function units(o: UnitsSetup): ReplicaUnits {
  const messaging = {
    wake: () => {},
    idle: async () => {},
    mailboxDepth: (n: string) => o.depth.get(n) ?? 0,
    ...(o.refused !== undefined
      ? {
          refuseNewest: async (unit: string, keep: number, _reason: string, kind: string) => {
            o.refused!.push(`${unit}:${keep}:${kind}`);
            o.depth.set(unit, keep);
            return 1;
          },
        }
      : {}),
  } as unknown as AgentMessaging;
  return new ReplicaUnits({
    host: o.host,
    messaging,
    events: new Instrumentation(),
    identity: (name) => ({ name }),
    record: async () => o.rec(),
    prepare: async () => {},
    tenureOf: (u) => o.tenure.get(u),
    isAbsent: () => o.absent?.() ?? false,
    versionOf: () => o.version?.(),
    wasUndeployed: () => o.undeployed?.() ?? false,
    ...(o.maxUnits !== undefined ? { maxUnits: o.maxUnits } : {}),
    ...(o.others !== undefined ? { othersRunning: o.others } : {}),
  });
}

test('a unit whose partition leaves during its start: its sandbox is stopped, and its mail starts it again (one start at a time)', async () => {
  const h = instrumentedHost();
  const tenure = new Map([['svc#r2', 1]]);
  const depth = new Map([['svc#r2', 1]]);
  const u = units({ host: h.host, tenure, depth, rec: () => record() });
  try {
    const open = h.hold();
    u.noticeMail('svc#r2');
    await until(() => h.starts.length === 1, 'the first start reached the host');
    u.leave(() => true); // a rebalance while the sandbox is starting; the partition comes back at once
    tenure.set('svc#r2', 2);
    u.noticeMail('svc#r2'); // mail meanwhile: queued behind the start in flight, not a second host.start
    assert.equal(h.starts.length, 1);
    open();
    await until(() => u.isRunnable('svc#r2'), 'the unit runs under the new tenure', 3000);
    assert.deepEqual(h.stops, ['svc#r2'], 'the first sandbox was stopped');
    assert.deepEqual(h.starts, ['svc#r2', 'svc#r2']);
    assert.deepEqual([...h.pool], ['svc#r2']);
  } finally {
    u.close();
  }
});

test('an agent stopped with its queue kept: its units do not start, running ones stop; a redeploy starts them', async () => {
  const h = instrumentedHost();
  const tenure = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
  ]);
  const depth = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
  ]);
  let absentSince: number | undefined = 5;
  const u = units({
    host: h.host,
    tenure,
    depth,
    rec: () => record(absentSince === undefined ? {} : { absentSince }),
    absent: () => absentSince !== undefined,
  });
  try {
    u.noticeMail('svc#r2');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.starts.length, 0, 'no sandbox for a stopped agent');
    assert.equal(u.isActive('svc#r2'), false);
    absentSince = undefined; // redeployed
    u.noticeMail('svc#r3');
    await until(() => u.isRunnable('svc#r3'), 'a unit of the redeployed agent runs');
    absentSince = 9; // stopped again, the queue kept
    await until(() => !u.isActive('svc#r3'), 'the running unit stopped on the record change', 3000);
    assert.deepEqual(h.stops, ['svc#r3']);
    assert.equal(u.isActive('svc#r3'), false);
  } finally {
    u.close();
  }
});

test("a worker's timers are its own (set under `X#r<k>`); its topic subscriptions and service registrations are the deployment's", async () => {
  const applied: string[] = [];
  const timers = {
    set: async (agent: string) => {
      applied.push(`timer ${agent}`);
      return true;
    },
  } as unknown as AgentTimers;
  const directory = {
    apply: async (agent: { name: string }) => {
      applied.push(`directory ${agent.name}`);
    },
  } as unknown as DirectorySync;
  const topics = {
    subscribe: async (agent: string) => {
      applied.push(`subscribe ${agent}`);
    },
    unsubscribe: async (agent: string) => {
      applied.push(`unsubscribe ${agent}`);
    },
  };
  const effects = new AgentEffects(
    timers,
    directory,
    (name) => ({ name: `${name}@caxton` }),
    () => topics as never,
  );
  const timer = [{ delayMs: 10, token: 't' }];
  await effects.apply({
    agent: 'svc#r2',
    timers: timer,
    directory: [
      { kind: 'subscribe-topic', topic: 'news' },
      { kind: 'register', service: { name: 's', type: 't' } },
    ],
  } as never);
  await effects.apply({ agent: 'svc#r3', timers: [], directory: [{ kind: 'unsubscribe-topic', topic: 'news' }] } as never);
  assert.deepEqual(applied, ['timer svc#r2', 'directory svc@caxton', 'subscribe svc', 'unsubscribe svc']);
  applied.length = 0;
  await effects.apply({ agent: 'svc', timers: timer, directory: [{ kind: 'subscribe-topic', topic: 'news' }] } as never);
  assert.deepEqual(applied, ['timer svc', 'subscribe svc'], "X's own effects apply as before");
});

test("a worker's HTTP calls are made under its own id `X#r<k>` (their answers are addressed to it), as X's are", async () => {
  const made: string[] = [];
  const warned: string[] = [];
  const gateway = {
    apply: (r: { agent: string }) => {
      made.push(r.agent);
    },
  } as unknown as HttpGateway;
  const http = new HttpEffects(gateway, (agent, message) => warned.push(`${agent}: ${message}`));
  const call = { id: 'c1', request: { method: 'GET', url: 'https://example.org/' } };
  for (const [agent, id] of [
    ['svc#r2', 'd1'],
    ['svc', 'd2'],
  ] as const) {
    const item = { kind: 'delivery', agent, delivery: { id } } as never;
    const result = { agent, outcome: { status: 'ok' }, http: [call], stateWrites: [] } as never;
    http.hold([item], [result]);
    http.release(id);
  }
  assert.deepEqual(made, ['svc#r2', 'svc']);
  assert.deepEqual(warned, []);
});

test('a unit running an older version than the mirror knows stops, drained, and its mail starts the new version', async () => {
  const h = instrumentedHost();
  const tenure = new Map([['svc#r2', 1]]);
  const depth = new Map([['svc#r2', 1]]);
  let current = record({ version: 1 });
  const versions: number[] = [];
  const host = {
    ...h.host,
    start: async (spec: AgentStartSpec) => {
      versions.push(spec.deployment.version);
      return h.host.start(spec);
    },
    stop: h.host.stop,
  } as unknown as AgentHost;
  const u = units({ host, tenure, depth, rec: () => current, version: () => `${current.version}:${current.createdAt}` });
  try {
    u.noticeMail('svc#r2');
    await until(() => u.isRunnable('svc#r2'), 'version 1 runs');
    current = record({ version: 2 }); // upgraded through another node
    await until(() => versions.length === 2 && u.isRunnable('svc#r2'), 'version 2 runs', 3000);
    assert.deepEqual(versions, [1, 2]);
    assert.deepEqual(h.stops, ['svc#r2']);
  } finally {
    u.close();
  }
});

test("units count against the node's budget of replica instances: an idle one makes room, else the mail is refused activation-limit", async () => {
  const h = instrumentedHost();
  const names = ['svc#r2', 'svc#r3', 'svc#r4'];
  const tenure = new Map(names.map((n) => [n, 1]));
  const depth = new Map(names.map((n) => [n, 1]));
  const refused: string[] = [];
  // A budget of 3 with one owner-side replica instance running: room for two units.
  const u = units({ host: h.host, tenure, depth, rec: () => record({ replicas: 4 }), maxUnits: 3, others: () => 1, refused });
  try {
    u.noticeMail('svc#r2');
    u.noticeMail('svc#r3');
    await until(() => u.isRunnable('svc#r2') && u.isRunnable('svc#r3'), 'two units run');
    u.noticeMail('svc#r4'); // both have mail in hand: nothing to make room with
    await until(() => refused.length === 1, 'the third unit refused');
    assert.deepEqual(refused, ['svc#r4:0:activation-limit'], 'all its mail dead-lettered activation-limit');
    assert.deepEqual(h.starts, ['svc#r2', 'svc#r3'], 'no sandbox past the budget');
    assert.equal(u.isActive('svc#r4'), false);
    depth.set('svc#r2', 0); // svc#r2 handled its mail: idle
    depth.set('svc#r4', 1);
    u.noticeMail('svc#r4');
    await until(() => u.isRunnable('svc#r4'), 'the idle unit made room', 3000);
    assert.deepEqual(h.stops, ['svc#r2'], 'the idle unit was stopped for it');
    assert.deepEqual(refused.length, 1);
    assert.equal(h.pool.size, 2, 'never more than the budget allows');
  } finally {
    u.close();
  }
});

test('an agent stopped with its queue kept: its running unit takes no work from then on', async () => {
  const h = instrumentedHost();
  const tenure = new Map([['svc#r2', 1]]);
  const depth = new Map([['svc#r2', 1]]);
  let absent = false;
  let stopHeld: (() => void) | undefined;
  const host = {
    ...h.host,
    start: h.host.start,
    stop: async (name: string) => {
      await new Promise<void>((r) => {
        stopHeld = r;
      });
      return h.host.stop(name, true);
    },
  } as unknown as AgentHost;
  const u = units({ host, tenure, depth, rec: () => record(), absent: () => absent });
  try {
    u.noticeMail('svc#r2');
    await until(() => u.isRunnable('svc#r2'), 'the unit runs');
    absent = true; // the mirror saw `stop --keep-queue`; the sweep has not stopped the unit yet
    assert.equal(u.isRunnable('svc#r2'), false, 'no work while its agent is absent');
    await until(() => stopHeld !== undefined, 'the sweep stops it');
    stopHeld!();
  } finally {
    u.close();
  }
});

test("an undeployed agent's units stop at once, not after the idle period", async () => {
  const h = instrumentedHost();
  const tenure = new Map([['svc#r2', 1]]);
  const depth = new Map([['svc#r2', 1]]);
  let deployed = true;
  const u = units({
    host: h.host,
    tenure,
    depth,
    rec: () => (deployed ? record() : undefined),
    version: () => (deployed ? '1:1' : undefined),
    undeployed: () => !deployed,
  });
  try {
    u.noticeMail('svc#r2');
    await until(() => u.isRunnable('svc#r2'), 'the unit runs');
    deployed = false; // undeployed through another node (the mirror saw the delete)
    await until(() => !u.isActive('svc#r2'), 'the unit stopped', 3000);
    assert.deepEqual(h.stops, ['svc#r2']);
    assert.deepEqual(h.starts, ['svc#r2'], "its mail (dead-lettered by the bus as a gone agent's) starts nothing");
  } finally {
    u.close();
  }
});

test('mail for a unit that came before the mirror knew its agent starts it when the mirror learns it', async () => {
  const h = instrumentedHost();
  const tenure = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
  ]);
  const depth = new Map([['svc#r2', 1]]); // svc#r3 has no mail here
  const u = units({ host: h.host, tenure, depth, rec: () => record() });
  try {
    // No noticeMail: the residency asks it only for units of agents its mirror knows.
    u.agentKnown('svc');
    await until(() => u.isRunnable('svc#r2'), 'the unit with mail started');
    assert.deepEqual(h.starts, ['svc#r2'], 'only units with mail here');
  } finally {
    u.close();
  }
});

test('a unit whose init keeps failing is not started again for every batch of mail: it waits its retry time out (review finding 3)', async () => {
  let attempts = 0;
  const host = {
    async start() {
      attempts += 1;
      throw new Error('init failed (test)');
    },
    async stop() {},
  } as unknown as AgentHost;
  const tenure = new Map([['svc#r2', 1]]);
  const depth = new Map([['svc#r2', 5]]);
  const u = units({ host, tenure, depth, rec: () => record() });
  try {
    u.noticeMail('svc#r2');
    await until(() => attempts === 1, 'the first start failed');
    // Mail keeps arriving (a batch each): none of it starts the failing init again before its wait is over.
    for (let i = 0; i < 20; i++) {
      u.noticeMail('svc#r2');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(attempts, 1, 'one start, then the wait');
    assert.equal(u.isActive('svc#r2'), false);
    // The record becoming known (the mirror) is news: it is tried at once.
    u.agentKnown('svc');
    await until(() => attempts === 2, 'tried again when its agent became known');
  } finally {
    u.close();
  }
});

test("units and the owner's replicas hold one budget: the operator's cap (2) bounds the units, and a scale is refused while units hold it", async () => {
  const log = new MemoryMessageLog();
  // The budget check comes before any start: the host is asked only for the agent's in-memory view.
  const replicas = new AgentReplicas({
    host: { stateView: () => undefined } as unknown as AgentHost,
    messaging: {} as AgentMessaging,
    events: new Instrumentation<AgentLifecycleEvent>(),
    state: log,
    maxInstances: 2,
  });
  const h = instrumentedHost();
  const tenure = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
    ['svc#r4', 1],
  ]);
  const depth = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
    ['svc#r4', 1],
  ]);
  const refused: string[] = [];
  // Wired as the cluster residency wires them (placed-agents.ts): the cap from AgentReplicas, each counting the other.
  const u = units({
    host: h.host,
    tenure,
    depth,
    rec: () => record({ replicas: 4 }),
    maxUnits: replicas.budget(),
    others: () => replicas.instances(),
    refused,
  });
  replicas.shareBudgetWith(() => u.held());
  try {
    u.noticeMail('svc#r2');
    u.noticeMail('svc#r3');
    await until(() => u.isRunnable('svc#r2') && u.isRunnable('svc#r3'), 'two units run');
    u.noticeMail('svc#r4'); // both running units have mail in hand: none is stopped for it
    await until(() => refused.length === 1, "the third unit's mail refused");
    assert.deepEqual(refused, ['svc#r4:0:activation-limit']);
    assert.deepEqual([...h.pool].sort(), ['svc#r2', 'svc#r3'], 'no sandbox past the cap of 2');
    await assert.rejects(replicas.scale(record({ name: 'web', replicas: 1 }), 2), (err: { code?: string }) => {
      assert.equal(err.code, 'agent.replicas-budget');
      return true;
    });
  } finally {
    u.close();
  }
});

test('a unit evicted for room holds the budget until its stop has ended: the newcomer starts then, and no second unit is evicted for it (review finding 3)', async () => {
  const pool = new Set<string>();
  let most = 0;
  let release!: () => void;
  const stopGate = new Promise<void>((r) => {
    release = r;
  });
  const host = {
    async start(spec: AgentStartSpec) {
      pool.add(spec.identity.name);
      most = Math.max(most, pool.size);
      return {
        agent: spec.identity.name,
        workId: 'init',
        fuelUsed: 0,
        outcome: { status: 'ok' },
        outbox: [],
        timers: [],
        directory: [],
        stateWrites: [],
        http: [],
        logs: [],
      };
    },
    async stop(name: string) {
      await stopGate; // a slow stop: the sandbox is still there meanwhile
      pool.delete(name);
    },
  } as unknown as AgentHost;
  const tenure = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
    ['svc#r4', 1],
  ]);
  const depth = new Map([
    ['svc#r2', 1],
    ['svc#r3', 1],
    ['svc#r4', 0],
  ]);
  const u = units({ host, tenure, depth, rec: () => record({ replicas: 4 }), maxUnits: 2, refused: [] });
  try {
    u.noticeMail('svc#r2');
    u.noticeMail('svc#r3');
    await until(() => u.isRunnable('svc#r2') && u.isRunnable('svc#r3'), 'two units run');
    depth.set('svc#r2', 0);
    depth.set('svc#r3', 0); // both idle now: either could be evicted
    depth.set('svc#r4', 1);
    u.noticeMail('svc#r4');
    await until(() => !u.isRunnable('svc#r2') || !u.isRunnable('svc#r3'), 'one idle unit is being stopped for it');
    // Several sweeps pass while the stop is held: the newcomer must not start, nor evict the other.
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(pool.size, 2, 'no third sandbox while the evicted one is still stopping');
    assert.equal([u.isRunnable('svc#r2'), u.isRunnable('svc#r3')].filter(Boolean).length, 1, 'only one unit evicted');
    release();
    await until(() => u.isRunnable('svc#r4'), 'the newcomer starts once the stop has ended');
    assert.equal(most, 2, 'the pool never passed the budget');
  } finally {
    release();
    u.close();
  }
});
