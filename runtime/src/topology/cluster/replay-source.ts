/**
 * One agent of a cluster, as `caxton replay --kafka --etcd` reads it beside the cluster (issue 57): its deployment record
 * and the directory (etcd), its component (etcd's artifact store), its identity (the platform name
 * the cluster kept) and its history (Kafka: kafka-history.ts). Read only: it joins no membership,
 * writes no key and no record, so it runs beside the cluster's nodes.
 */
import { resolveClusterOptions } from './options.js';
import { etcdSecurity, kafkaRecordKeys, kafkaSecurity } from './transport-credentials.js';
import { insecureClusterError, insecureLinks, type EtcdConnectionSpec, type KafkaConnectionSpec } from './transport-security.js';
import { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';
import { EtcdArtifactStore } from '../../artifacts/etcd-artifact-store.js';
import { servicesByType } from '../../registry/services-by-type.js';
import { deploymentOf, recordOf } from '../../replay/deployment-record.js';
import { ReplayError } from '../../replay/errors.js';
import { readKafkaHistory, type KafkaHistoryOptions, type KafkaHistorySummary } from '../../replay/kafka-history.js';
import type { RecordedDeployment, RecordedEvent } from '../../replay/recorded.js';

export interface ClusterReplaySource {
  kafka: KafkaConnectionSpec;
  etcd: EtcdConnectionSpec;
  /** The cluster's name (`caxton serve --cluster`): its etcd prefix, topics and group. Default `default`. */
  cluster?: string;
  /** Deadline of each read without progress. Default 15 s. */
  timeoutMs?: number;
  /** Read over plaintext or unauthenticated links beyond loopback (refused otherwise, as a node refuses them). */
  insecureCluster?: boolean;
}

export interface ClusterAgent {
  deployment: RecordedDeployment;
  /** `name@platform`, as its sandbox knew it. */
  identity: string;
  component: () => Promise<Uint8Array>;
  /** The directory as the registry holds it now: what `search-services` answers in the replay. */
  servicesByType: ReadonlyMap<string, readonly { name: string }[]>;
  /** The agents (and kinds) deployed in the cluster: messages to them are in its log. */
  localAgents: ReadonlySet<string>;
  /** The agent's recorded events, read from Kafka (one read per call). */
  events: (opts?: KafkaHistoryOptions) => AsyncGenerator<RecordedEvent, KafkaHistorySummary>;
  close: () => Promise<void>;
}

export async function openClusterAgent(source: ClusterReplaySource, name: string): Promise<ClusterAgent> {
  // The history is every message the agent had: read over the links a node would accept only.
  const links = insecureLinks(source.kafka, source.etcd);
  if (links.length > 0 && source.insecureCluster !== true) throw insecureClusterError(links);
  const c = resolveClusterOptions(source.cluster === undefined ? {} : { name: source.cluster });
  const registry = new EtcdRegistry({ ...etcdSecurity(source.etcd), prefix: c.etcdPrefix });
  await registry.open();
  try {
    const records = new Map((await registry.listAgents()).map((r) => [r.name, r]));
    const record = recordOf(records, name);
    if (record === undefined)
      throw new ReplayError('replay.no-agent', `no agent ${name} is deployed in cluster ${c.name}`, {
        context: { agent: name, cluster: c.name, deployed: [...records.keys()].slice(0, 20) },
        hint: 'name a deployed agent (caxton agents lists them), or a kind instance as <kind>/<key>; pass --cluster when the nodes run with one',
      });
    const platform = (await registry.keptPlatform()) ?? 'caxton';
    const directory = servicesByType(await registry.searchDf({}, 100_000));
    const artifacts = new EtcdArtifactStore({ connection: registry.connection, keys: registry.keys });
    // The record keys too (decision 2185): a record no node wrote is not replayed as history.
    const recordKeys = kafkaRecordKeys(source.kafka);
    const kafka = { brokers: source.kafka.brokers, ...kafkaSecurity(source.kafka), ...(recordKeys !== undefined ? { recordKeys } : {}) };
    return {
      deployment: deploymentOf(record, name),
      identity: `${name}@${platform}`,
      component: async () => {
        try {
          return await artifacts.get(record.artifactDigest);
        } catch (cause) {
          throw new ReplayError(
            'replay.no-component',
            `the component of ${name} (version ${record.version}) is not in the cluster's artifact store`,
            {
              context: { agent: name, digest: record.artifactDigest },
              hint: 'replay it with --with <the component or its project>',
              cause,
            },
          );
        }
      },
      servicesByType: directory,
      localAgents: new Set(records.keys()),
      events: (opts = {}) =>
        readKafkaHistory(
          {
            ...kafka,
            topicPrefix: c.topicPrefix,
            groupId: c.groupId,
            cluster: c.name,
            ...(source.timeoutMs === undefined ? {} : { timeoutMs: source.timeoutMs }),
          },
          name,
          // Its partition is its placement key's (decision 2189): the one fixed in etcd, which outlives the record.
          placedBy(registry.placementKeyOf(name) ?? record.near?.key, opts),
        ),
      close: () => registry.close(),
    };
  } catch (err) {
    await registry.close();
    throw err;
  }
}

function placedBy<T extends object>(key: string | undefined, opts: T): T | (T & { placementKey: string }) {
  return key === undefined ? opts : { placementKey: key, ...opts };
}
