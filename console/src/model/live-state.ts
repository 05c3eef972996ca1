/**
 * What the shell (app.tsx) keeps of the live stream and hands its pages: here, below both, so a
 * page does not import the shell that imports it (decision 1702).
 */
import type { AgentRow, NodeStats, SampledNotice } from '@caxton/core';
import type { History } from './history.js';

export type StreamStatus = 'connecting' | 'live' | 'retrying' | 'refused';

export interface LiveState {
  agents: AgentRow[];
  nodes: Map<string, NodeStats>;
  history: History;
  /** Messages that arrived while the sniffer was paused. */
  pending: number;
  sampled?: SampledNotice & { at: number };
  status: StreamStatus;
}
