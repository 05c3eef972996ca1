/**
 * The cluster topology: the bus on Kafka, the registry, artifacts and placement on etcd
 * (docs/cluster.md; decisions 0600, 0702, 0710).
 *
 * - Registry: EtcdRegistry under `/caxton/<cluster>/`.
 * - Artifacts: etcd (every node can fetch a component) fronted by a verified cache on local disk.
 * - Bus: KafkaMessageLog, one consumer group per cluster; the group's `caxton-rendezvous` assigner
 *   gives partition p to the rendezvous owner of `kafka-partition:<p>` among the node ids.
 * - Placement: PlacementController over the etcd membership, placing each agent by
 *   its partition's key (`kafka-partition:<p>` of partitionOf(agent), which hashes its placement key:
 *   decision 2189): an agent is activated exactly where its partition is consumed.
 *
 * Start-up fails fast and typed when etcd or Kafka cannot be reached (`registry.unavailable`,
 * `bus.kafka.unreachable`, each with a hint), and leaves nothing open behind.
 */
import { stateStoreOf } from '../../storage/state-store.js';
import path from 'node:path';
import { CaxtonError, activationWaitCap, parseReplicaUnit } from '@caxton/core';
import { KafkaMessageLog, partitionKey, type KafkaLogEvent } from '../../log/kafka/index.js';
import { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';
import { describeInsecureLink, etcdUrls, etcdUsesTls, insecureClusterError, insecureLinks } from './transport-security.js';
import { etcdSecurity, kafkaRecordKeys, kafkaSecurity } from './transport-credentials.js';
import { RecordRefusalAudit } from './record-refusal-audit.js';
import { kafkaHistoryReader } from '../../replay/kafka-history.js';
import { PlacementController } from './placement/placement-controller.js';
import { FileArtifactStore } from '../../artifacts/file-artifact-store.js';
import { EtcdArtifactStore } from '../../artifacts/etcd-artifact-store.js';
import { TieredArtifactStore } from '../../artifacts/tiered-artifact-store.js';
import type { TopologyOptions } from '../topology-options.js';
import type { Topology } from '../topology.js';
import { resolveClusterOptions } from './options.js';
import { ClusterDeployments } from './deployments.js';
import { PlacedAgents } from './placed-agents.js';
import { clusterNodes } from './status.js';
import { ClusterProtocols } from './protocols.js';
import { ScreenedLog } from './screened-log.js';
import { installKafkaMetrics } from '../../log/kafka/kafka-metrics.js';
import { installEtcdMetrics } from '../../registry/etcd/etcd-metrics.js';
import { EtcdAuditTrail } from '../../audit/etcd-audit-trail.js';
import type { AuditTrail } from '../../audit/audit-trail.js';
import { EtcdAuditAnchorStore } from '../../audit/etcd-anchor-store.js';
import { EtcdSwitchStore } from './etcd-switch-store.js';
import { installReplicaUnitMetrics } from './replica-unit-metrics.js';
import { assignmentLine } from './assignment-line.js';

/** stderr lines of the node's cluster machinery; repeats of one kind are shown at most every 5 s. */
function clusterLog(): (kind: string, line: string) => void {
  const last = new Map<string, number>();
  return (kind, line) => {
    const now = Date.now();
    if (now - (last.get(kind) ?? 0) < 5000) return;
    last.set(kind, now);
    process.stderr.write(`caxton: cluster: ${line}\n`);
  };
}

function describe(err: unknown): string {
  return err instanceof CaxtonError ? err.describe() : String((err as Error)?.message ?? err);
}

export async function openClusterTopology(options: TopologyOptions, dataDir: string, nodeId: string, platform: string): Promise<Topology> {
  if (!options.kafka || !options.etcd) {
    throw new CaxtonError('node.cluster-config', 'cluster mode needs both --kafka and --etcd', {
      kind: 'internal',
      hint: 'pass both (the bus lives in Kafka, the registry and placement in etcd), or neither for the embedded defaults',
    });
  }
  const c = resolveClusterOptions(options.cluster);
  const say = clusterLog();
  const insecure = insecureLinks(options.kafka, options.etcd);
  if (insecure.length > 0) {
    if (!options.insecureCluster) throw insecureClusterError(insecure);
    for (const l of insecure)
      say('insecure', `--insecure-cluster: ${describeInsecureLink(l)}; anyone on that network can read and forge cluster traffic`);
  }
  let onAssignment: (partitions: readonly number[]) => void = () => {};
  let lastAssignment: string | undefined;
  // Read once the log is open: `partitionCount` throws once close() began, and an assignment can
  // still arrive then (a peer leaving while this log drains).
  let topicPartitions = 0;
  const onKafkaEvent = (e: KafkaLogEvent): void => {
    if (e.type === 'assignment') {
      // A throwing listener would be dropped (decision 1106): keep this one, report the failure.
      try {
        onAssignment(e.partitions);
      } catch (err) {
        say('kafka-assignment', `mailboxes not updated for the new assignment: ${describe(err)}`);
      }
      // Said unthrottled, unlike the other lines: which partitions — so which agents — a node
      // consumes is what an operator reads a rebalance by, and the last line is the current one.
      const line = assignmentLine(nodeId, e.partitions, topicPartitions);
      if (line !== lastAssignment) process.stderr.write(`caxton: cluster: ${line}\n`);
      lastAssignment = line;
    } else if (e.type === 'consumer-crash')
      say('kafka-consumer', `Kafka consumer ${e.restart ? 'restarting' : 'crashed, restarting'}: ${e.error.message}`);
    else if (e.type === 'commit-retry' || e.type === 'append-retry')
      say(e.type, `Kafka ${e.type === 'commit-retry' ? 'offset commit' : 'append'} retrying (attempt ${e.attempt}): ${e.error}`);
    else if (e.type === 'commit-awaited')
      say(
        e.type,
        `Kafka offset commit not confirmed ${e.waits} time(s); ${e.agents.join(', ')} wait for it (their markers are full): ${e.error}`,
      );
    else if (e.type === 'state-load-failed')
      say(e.type, `agents' state of partition ${e.partition} not read yet, retrying (its deliveries and agents wait): ${e.error}`);
    else if (e.type === 'state-swept')
      say(
        e.type,
        `agents' state of partition ${e.partition} swept: ${e.tombstones} deleted keys tombstoned, ${e.rewritten} records re-written under this node's claim, ${e.retired} old claims retired (${e.claims} claims kept before)`,
      );
    else if (e.type === 'state-sweep-failed')
      say(e.type, `agents' state of partition ${e.partition}: sweep not written, tried again at its next run: ${e.error}`);
    else if (e.type === 'relocated')
      say(e.type, `delivery ${e.id} to ${e.receiver} moved from partition ${e.partition} to ${e.to}, its placement key's (decision 2189)`);
    else if (e.type === 'dead-letter-failed')
      say(
        e.type,
        `record ${e.partition}@${e.offset} not moved to the dead letters (attempt ${e.attempt}; ${e.retrying ? 'retrying' : 'handed out again at the next restart or rebalance'}; it holds back its partition's commits): ${e.error}`,
      );
    else if (e.type === 'state-repair-failed')
      say(
        e.type,
        `agents' state of partition ${e.partition}: keys written late by a former owner not re-written yet (retried at the next load; needed before compaction): ${e.error}`,
      );
  };

  const recordKeys = kafkaRecordKeys(options.kafka);
  // The cluster's topics and how to reach them, for the message log and the upgrade gate's history
  // reader alike; a new object each (their TLS and SASL options are not shared).
  const kafka = options.kafka;
  const clusterTopics = () => ({
    brokers: kafka.brokers,
    ...kafkaSecurity(kafka),
    ...(recordKeys !== undefined ? { recordKeys } : {}),
    cluster: c.name,
    topicPrefix: c.topicPrefix,
    groupId: c.groupId,
  });
  const registry = new EtcdRegistry({ ...etcdSecurity(options.etcd), prefix: c.etcdPrefix });
  // Made before the log, which asks it each receiver's placement key (decision 2189); it is filled
  // (start) before anything is appended or consumed.
  const deployments = new ClusterDeployments(registry);
  const log = new KafkaMessageLog({
    ...clusterTopics(),
    nodeId,
    clientId: `caxton-${nodeId}`,
    ...(c.partitions !== undefined ? { partitions: c.partitions } : {}),
    sessionTimeoutMs: c.sessionTimeoutMs,
    openTimeoutMs: c.kafkaOpenTimeoutMs,
    maxPendingPerPartition: c.maxPendingPerPartition,
    // Fixed at a name's first deploy and kept in etcd for good (decision 2189); read from the mirror.
    placementKeyOf: (receiver) => deployments.placementKeyOf(receiver),
    ...c.kafkaRequests,
  });
  log.events.on(onKafkaEvent, [
    'assignment',
    'consumer-crash',
    'commit-retry',
    'commit-awaited',
    'append-retry',
    'state-load-failed',
    'state-repair-failed',
    'dead-letter-failed',
    'relocated',
    'state-swept',
    'state-sweep-failed',
  ]);
  // Both at once: an unreachable etcd is reported in milliseconds, not after Kafka's timeout.
  const [etcdOpen, kafkaOpen] = await Promise.allSettled([registry.open(), log.open()]);
  if (etcdOpen.status === 'rejected' || kafkaOpen.status === 'rejected') {
    await Promise.allSettled([log.close(), registry.close()]);
    registry.connection.close(); // close() skips it when open() failed; its channels would keep the process alive
    if (etcdOpen.status === 'rejected' && kafkaOpen.status === 'rejected') say('open', `Kafka failed too: ${describe(kafkaOpen.reason)}`);
    throw etcdOpen.status === 'rejected' ? etcdOpen.reason : (kafkaOpen as PromiseRejectedResult).reason;
  }
  topicPartitions = log.partitionCount;
  // One platform name per cluster, kept by its first node, checked before this node joins (decision 1910);
  // one replica mode too (decisions 2097, 2168): a node of an older version running replicas on the owner would strand replica mail.
  try {
    await registry.keepPlatform(platform);
    const mode = await registry.keepReplicaMode();
    if (mode.changedFrom !== undefined)
      say('replica-mode', `no node of the cluster was live: its replica mode is now ${mode.mode} (was ${mode.changedFrom}; decision 2168)`);
  } catch (err) {
    await Promise.allSettled([log.close(), registry.close()]);
    throw err;
  }

  // Instance timers keep a wake per partition, so a partition's walk reads its wakes alone (decision
  // 2060, *Wake index*). Taken before any timer is written. The index is read only once the operator
  // switched it on for this partition count (every node then writes wakes); the sweep of an older
  // table runs meanwhile, and until it is done this node walks the timer table as before.
  void registry
    .indexWakes({ partitions: log.partitionCount, partitionOf: (a) => log.partitionOf(a) })
    .then(({ enabled, swept }) => {
      if (!enabled)
        say(
          'wake-index',
          `the wake index is not switched on for ${log.partitionCount} partitions: walks read the timer table (docs/cluster.md, *Wake index*)`,
        );
      // Said once the index is trusted: from here each walk of partitions assigned to this node reads their wakes alone.
      else
        say(
          'wake-index',
          `the wake index of ${log.partitionCount} partitions is read by this node's walks${swept > 0 ? `; ${swept} instance timer(s) stored before it were indexed` : ''}`,
        );
    })
    .catch((err: unknown) =>
      say(
        'wake-index',
        `the timer table was not swept into the wake index (${describe(err)}); this node walks the timer table itself, as before, and sweeps again at its next start`,
      ),
    );

  // Consumed deliveries pass the protocol gate's delivery-side check (cluster-protocols.ts) first.
  let gate: ClusterProtocols | undefined;
  const screened = new ScreenedLog(log, (batch) => (gate ? gate.screen(batch) : [...batch]));

  await deployments.start();
  const artifactDir = path.join(dataDir, 'artifacts');
  const artifacts = new TieredArtifactStore(
    new FileArtifactStore({ dir: artifactDir }),
    new EtcdArtifactStore({ connection: registry.connection, keys: registry.keys }),
  );
  // In etcd, so the trail outlives this node and every node lists the same one (decision 1402).
  const audit = new EtcdAuditTrail({ connection: registry.connection, prefix: c.etcdPrefix });
  // Records refused for their tag (decision 2185): audited, at a bounded rate, through the node's
  // anchored trail once `beforeApi` hands it over (a refusal at the trail's end must not be cut off
  // unseen). Nothing is consumed before then; one that came earlier would go to the raw trail, and
  // the anchored trail's opening anchors any head its anchor lags behind.
  let refusalTrail: Pick<AuditTrail, 'append'> = audit;
  if (recordKeys !== undefined) {
    const refusals = new RecordRefusalAudit({
      trail: { append: (entry) => refusalTrail.append(entry) },
      nodeId,
      say: (line) => say('record-refused', line),
    });
    log.events.on((e) => (e.type === 'record-refused' ? refusals.refused(e) : undefined), ['record-refused']);
  }
  const startedAt = Date.now();
  let address = `${options.apiHost}:${options.apiPort}`;
  let agents: PlacedAgents | undefined;
  let placement: PlacementController | undefined;
  /** This node holds a live membership lease (the `caxton_etcd_lease_up` gauge). */
  let leaseUp = false;

  return {
    // One etcd store backs the agent, directory and timer ports; consumed deliveries are screened.
    // Kinds are records of the same registry (decision 2060): every node sees each one.
    kinds: registry,
    ports: {
      agents: registry,
      directory: registry,
      timers: registry,
      topics: registry,
      log: screened,
      artifacts,
      state: stateStoreOf(log),
      audit,
      auditAnchors: new EtcdAuditAnchorStore(registry.connection, c.etcdPrefix, nodeId),
    },
    sharedSwitch: new EtcdSwitchStore(registry, nodeId),
    residency(context) {
      const placed = new PlacedAgents(context, {
        registry,
        deployments,
        partitionOf: (a) => log.partitionOf(a),
        completionWithinMs: c.completionWithinMs,
        absentPerPartition: c.absentPerPartition,
        retentionMs: log.retentionMs,
        activationWaitCap: activationWaitCap(c.maxPendingPerPartition),
        stateLoaded: (a) => log.stateLoaded(a),
      });
      agents = placed;
      onAssignment = (partitions) => placed.assigned(partitions);
      return placed;
    },
    protocolGate(tracker, context) {
      gate = new ClusterProtocols({
        tracker,
        platform: context.platform,
        bus: context.bus,
        isLocal: context.isLocal,
        isAgent: (name) => deployments.has(name) || deployments.isInstanceOfKind(name),
        complete: (d) => log.complete([{ id: d.id, receiver: d.receiver }]),
      });
      return gate;
    },
    // The kinds in the registry are taken up before the first delivery (restoreAgents; a node started
    // after a kind was deployed never hears of it otherwise, and its instances' mail here would wait
    // for good); named agents start as placement activates them (after the API listens, see afterApi).
    async beforeApi(steps) {
      refusalTrail = steps.audit; // anchored from here on (see below)
      await steps.openLog();
      await steps.restoreAgents();
      await steps.consume();
    },
    async afterApi(context) {
      if (!agents)
        throw new CaxtonError('node.cluster-wiring', 'afterApi before the agent residency was built', {
          kind: 'internal',
          hint: 'a bug in startNode',
        });
      const placed = agents;
      address = context.apiAddress;
      placement = new PlacementController({
        registry,
        node: { id: nodeId, address },
        ttlSeconds: c.leaseTtlSeconds,
        drain: (agent) => placed.drain(agent),
        drainTimeoutMs: c.drainTimeoutMs,
        placementKey: (agent) => partitionKey(log.partitionOf(agent)), // by its placement key (decision 2189)
        isUnplaced: (agent) => registry.isKindRecord(agent) || deployments.isKind(agent),
      });
      placement.events.on(
        (e) => {
          if (e.type === 'membership-lost' || e.type === 'membership-joined') leaseUp = e.type === 'membership-joined';
          if (e.type === 'membership-lost') say('membership-lost', describe(e.error));
          else if (e.type === 'membership-joined')
            say(
              'membership-joined',
              `node ${e.membership.node.id} is a member (lease ${e.membership.leaseId}, ttl ${c.leaseTtlSeconds} s)`,
            );
          else if (e.type === 'reconcile-failed') say('reconcile', `placement step failed, retrying: ${describe(e.error)}`);
        },
        ['membership-lost', 'membership-joined', 'reconcile-failed'],
      );
      placed.bind(placement);
      await placement.start(); // joins: rejects with cluster.node-id-taken / registry.unavailable
      // The join compared the mode in its transaction (and every rejoin does): this read is a second look.
      await registry.verifyReplicaMode();
    },
    // `upgrade --replay` (issue 57): the cluster's topics, read as `caxton replay --kafka` reads them.
    recordedHistory: kafkaHistoryReader(clusterTopics(), (agent) => deployments.placementKeyOf(agent)),
    installMetrics: (meter) => {
      const removals = [
        installKafkaMetrics(meter, log),
        installEtcdMetrics(meter, registry.connection.events, () => leaseUp),
        installReplicaUnitMetrics(
          meter,
          () => agents?.runningReplicaUnits() ?? [],
          (unit) => parseReplicaUnit(unit)?.agent,
        ),
      ];
      return () => removals.forEach((remove) => remove());
    },
    async stopAgents() {
      // Deactivates and drains every agent, then revokes the lease: peers take over at once.
      await placement?.stop();
      leaseUp = false;
      agents?.unbind();
    },
    health() {
      if (!placement) return { serving: false, reason: 'not a cluster member yet: joining placement' };
      // Lost (etcd unreachable past the lease deadline) or left: no agents run here until it rejoins.
      return placement.membership?.alive
        ? { serving: true }
        : { serving: false, reason: `node ${nodeId} does not hold its cluster membership lease (rejoining)` };
    },
    async status() {
      return {
        nodes: await clusterNodes(registry, { id: nodeId, address, startedAt }),
        storage: [
          {
            role: 'bus',
            kind: 'kafka',
            location: `${options.kafka!.brokers.join(',')} (${options.kafka!.tls ? 'TLS' : 'plaintext'}${options.kafka!.sasl ? `, SASL ${options.kafka!.sasl.mechanism} as ${options.kafka!.sasl.username}` : ''}; topics ${c.topicPrefix}.*, group ${c.groupId}, ${log.partitionCount} partitions)`,
          },
          {
            role: 'registry',
            kind: 'etcd',
            location: `${etcdUrls(options.etcd!).join(',')} (${etcdUsesTls(options.etcd!) ? 'TLS' : 'plaintext'}${options.etcd!.auth ? `, user ${options.etcd!.auth.username}` : ''}; prefix ${c.etcdPrefix}, lease ttl ${c.leaseTtlSeconds} s)`,
          },
          { role: 'artifacts', kind: 'etcd+file', location: `etcd ${c.etcdPrefix}store/, cache ${artifactDir}` },
          { role: 'audit', kind: 'etcd', location: audit.location },
        ],
        replay: log.replayReach(),
      };
    },
    async close() {
      gate?.stop();
      deployments.stop();
      await audit.close();
      await registry.close();
    },
  };
}
