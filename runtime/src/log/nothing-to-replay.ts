/**
 * The replay reach of a log a replay does not read back (issue 57): the memory log (gone with the
 * process) and a cluster's Kafka log (its history is its topics' retention, which `caxton replay`
 * does not read yet). No figures are made up for them: nothing held, no history kept by the node.
 */
import type { ReplayReach, ReplayReachSource } from '@caxton/core';

export function nothingToReplay(source: Exclude<ReplayReachSource, 'embedded'>): ReplayReach {
  return { source, segments: 0, heldBytes: 0, historySeconds: 0, historyBytes: 0 };
}
