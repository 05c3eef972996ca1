/**
 * Where `caxton replay` reads a history (issue 57): a node's data directory (its registry, artifact
 * store and embedded log, read-only), a cluster (its etcd and Kafka, read-only: `--kafka`/`--etcd`)
 * or an export file written by `--export` (checked as it is read: a truncated or damaged file fails
 * the replay at its end, typed). Each gives the replay the same things: the deployment, the
 * identity, the directory, the component and the events.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { clusterSecurityOptions, hostList, type ClusterSecurityArgs } from './serve-cluster-security-options.js';

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type RecordedEvent = import('@caxton/runtime/replay').RecordedEvent;
type RecordedDeployment = import('@caxton/runtime/replay').RecordedDeployment;
type EmbeddedHistorySummary = import('@caxton/runtime/replay').EmbeddedHistorySummary;
type KafkaHistorySummary = import('@caxton/runtime/replay').KafkaHistorySummary;

/** The flags that name a cluster to read instead of a data directory. */
export type ClusterArgs = ClusterSecurityArgs & { kafka?: string; etcd?: string; cluster?: string };

/** Where a replay's history comes from: a node's data directory, or an export file. */
export interface HistorySource {
  deployment: RecordedDeployment;
  identity: string;
  servicesByType: ReadonlyMap<string, readonly { name: string }[]>;
  /** The agents deployed where the history was recorded, when known: a replayed send to one the log lacks differs. */
  localAgents?: ReadonlySet<string>;
  /** The recorded version's component. */
  component: () => Promise<Uint8Array>;
  events: AsyncIterable<RecordedEvent>;
  /** What the JSON summary says of the source, once the events were read. */
  described: () => Record<string, unknown>;
  /** A note for stderr when what was read was incomplete. */
  incomplete: () => string | undefined;
  close: () => Promise<void>;
}

export async function dataDirSource(
  ctx: CommandContext,
  lib: ReplayLibrary,
  argv: { agent: string; dataDir: string },
): Promise<HistorySource> {
  const dataDir = path.resolve(ctx.io.cwd, argv.dataDir);
  const agent = await lib.openOfflineAgent(dataDir, argv.agent);
  let history: EmbeddedHistorySummary | undefined;
  return {
    ...recordedParts(agent),
    events: lib.readEmbeddedHistory(agent.logDir, argv.agent, { onEnd: (s) => (history = s) }),
    described: () => ({ history }),
    incomplete: () => (history === undefined ? undefined : incompleteHistory(history)),
    close: async () => undefined,
  };
}

/** What a source says of the agent as it was deployed, the same from a data directory or a cluster. */
function recordedParts(
  agent: Pick<HistorySource, 'deployment' | 'identity' | 'servicesByType' | 'localAgents' | 'component'>,
): Pick<HistorySource, 'deployment' | 'identity' | 'servicesByType' | 'localAgents' | 'component'> {
  const { deployment, identity, servicesByType, localAgents, component } = agent;
  return { deployment, identity, servicesByType, localAgents, component };
}

/** Whether the flags name a cluster (then --data-dir is not read). */
export function namesCluster(argv: ClusterArgs): boolean {
  return argv.kafka !== undefined || argv.etcd !== undefined;
}

/** A cluster's agent: its deployment and component from etcd, its history from Kafka; nothing is written. */
export async function clusterSource(
  ctx: CommandContext,
  lib: ReplayLibrary,
  argv: ClusterArgs & { agent: string },
): Promise<HistorySource> {
  const brokers = hostList(argv.kafka, '--kafka');
  const endpoints = hostList(argv.etcd, '--etcd');
  if (brokers === undefined || endpoints === undefined)
    throw new UsageError(
      'a cluster is read from both its Kafka and its etcd',
      'pass --kafka <brokers> and --etcd <endpoints>, as the nodes run with',
    );
  const links = clusterSecurityOptions(argv, ctx.io.env, ctx.io.cwd, brokers, endpoints);
  const agent = await lib.openClusterAgent(
    {
      kafka: links.kafka!,
      etcd: links.etcd!,
      ...(argv.cluster === undefined ? {} : { cluster: argv.cluster }),
      ...(links.insecureCluster === true ? { insecureCluster: true } : {}),
    },
    argv.agent,
  );
  let history: KafkaHistorySummary | undefined;
  return {
    ...recordedParts(agent),
    events: agent.events({ onEnd: (s) => (history = s) }),
    described: () => ({ history }),
    incomplete: () => (history === undefined ? undefined : incompleteKafkaHistory(history)),
    close: agent.close,
  };
}

type Say = (n: number, what: string) => void;

/** The counts both logs' readers give, in words. */
function sayCommon(h: EmbeddedHistorySummary | KafkaHistorySummary, say: Say): void {
  say(h.droppedDeliveries, "deliveries past the reader's bound");
  say(h.droppedSends, "sends past the reader's bound");
  say(h.droppedTimerIntents, "timer records past the reader's bound");
  say(h.orphanCompletions, 'handlings whose delivery retention had deleted (applied as state)');
  say(h.timersWithoutRecord, 'timer firings whose record the log does not hold');
}

function incompleteOf(collect: (say: Say) => void): string | undefined {
  const parts: string[] = [];
  collect((n, what) => void (n > 0 && parts.push(`${n} ${what}`)));
  return parts.length === 0 ? undefined : `the log read was incomplete: ${parts.join(', ')}`;
}

/** What of the log could not be read whole, in words; undefined when it all was. */
function incompleteHistory(h: EmbeddedHistorySummary): string | undefined {
  return incompleteOf((say) => {
    sayCommon(h, say);
    say(h.segmentsCut.length, 'segments cut short (a torn tail, a write under way, damage)');
    say(h.segmentsVanished, 'segments deleted by retention while read');
    say(h.incompleteStateTransactions, 'state transactions without their last frame');
    say(h.malformedFrames, 'frames no writer writes (skipped)');
  });
}

function incompleteKafkaHistory(h: KafkaHistorySummary): string | undefined {
  return incompleteOf((say) => {
    sayCommon(h, say);
    say(h.compactedGaps, 'places where compaction removed state records (a handling before them may see a state that lacks writes)');
    say(h.unattributedCommits, 'commits of an older node whose writes could not be split by delivery');
    say(
      h.unorderedHandlings,
      'handlings whose order the topics did not hold yet (run in delivery order; a node writes it once an agent is quiet for 500 ms)',
    );
    say(h.malformedFrames, 'records no writer writes (skipped)');
  });
}

export async function exportSource(ctx: CommandContext, lib: ReplayLibrary, agent: string, file: string): Promise<HistorySource> {
  const opened = await lib.openReplayExport(path.resolve(ctx.io.cwd, file));
  const { header } = opened;
  if (header.agent !== agent) {
    await opened.close();
    throw new UsageError(
      `${opened.file} holds the history of ${header.agent}, not ${agent}`,
      `replay it as caxton replay ${header.agent} --input ${file}`,
    );
  }
  return {
    deployment: header.deployment,
    identity: header.identity,
    servicesByType: opened.servicesByType,
    ...(header.localAgents === undefined ? {} : { localAgents: new Set(header.localAgents) }),
    // The recorded version is the one whose digest the deployment names: an export's component
    // that is not (edited, or another version's) is not replayed as "recorded". An export is not
    // signed: whoever could write the file chose both; it runs in the sandbox all the same.
    component: async () => {
      const digest = createHash('sha256').update(opened.component).digest('hex');
      if (digest !== header.deployment.artifactDigest)
        throw new UsageError(
          `${opened.file} holds a component (sha256 ${digest.slice(0, 12)}…) other than version ${header.deployment.version}'s (${header.deployment.artifactDigest.slice(0, 12)}…)`,
          'replay another version on purpose with --with <component>',
        );
      return opened.component;
    },
    events: opened.events,
    described: () => ({ input: { file: opened.file, exportedAt: header.exportedAt, identity: header.identity } }),
    incomplete: () => undefined,
    close: opened.close,
  };
}
