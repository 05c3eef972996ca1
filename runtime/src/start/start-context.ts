/** What every step of a node's start-up shares: the options, where the node lives, and what undoes a start that fails. */
import type { Logger } from '@opentelemetry/api-logs';
import type { NodeHealth } from '@caxton/core';
import type { NodePhase } from '../node/node-health.js';
import type { TrustPolicy } from '../signing/trust.js';
import type { Topology } from '../topology/topology.js';
import type { StartNodeOptions } from './options.js';

/** Steps that close what start-up opened, run in reverse if a later step fails. */
export type Undo = (() => Promise<unknown>)[];

/** The node's phase and topology, as health needs them. */
export interface NodeLife {
  phase: NodePhase;
  topology: Topology | undefined;
}

export interface StartContext {
  options: StartNodeOptions;
  dataDir: string;
  nodeId: string;
  platform: string;
  startedAt: number;
  topology: Topology;
  undo: Undo;
  life: NodeLife;
  health: () => NodeHealth;
  trust: TrustPolicy;
  otlpLogger: Logger | undefined;
  /** `mtp.advertise`, checked: the ACC address given to peers instead of the bound one. */
  accAdvertised: string | undefined;
}

/** The storage adapters of the node's topology. */
export type NodeStorage = Topology['ports'];
