/**
 * The replay reach of a log whose node holds nothing to replay (issue 57): the memory log (gone
 * with the process) and a cluster's Kafka log (a replay reads the cluster's topics, not the node).
 * No figures are made up for them: nothing held on the node.
 */
import type { ReplayReach, ReplayReachSource } from '@caxton/core';

export function nothingToReplay(source: Exclude<ReplayReachSource, 'embedded'>): ReplayReach {
  return { source, segments: 0, heldBytes: 0, historySeconds: 0, historyBytes: 0 };
}
