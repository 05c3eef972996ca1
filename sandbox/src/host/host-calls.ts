/**
 * What each interface's host (state, http, topics, message-info) needs of the agent's HostBridge:
 * the current call's effects and context, and the bridge's one way to check, charge and refuse
 * (decision 2133's prices, the lift guard, the refusal counters). HostBridge implements it.
 */
import type { AclLimits, AclMessage } from '@caxton/core';
import type { HostFunction } from '../fuel/cost-model.js';
import type { Effects } from '../results.js';
import type { BridgeEnv } from './bridge-env.js';
import type { RefusalCounters } from './quotas.js';
import type { LiftLimitExceeded } from './refusals.js';
import type { StateView } from './state-view.js';

export interface HostCalls {
  readonly env: BridgeEnv;
  readonly acl: AclLimits;
  readonly counters: RefusalCounters;
  readonly state: StateView;
  /** What the call running now did (replaced at each call: read it when used). */
  readonly effects: Effects;
  /** `init` is running: state is read-only and fetch is refused. */
  readonly inInit: boolean;
  readonly conversationId: string | undefined;
  /** The message being handled; null outside `handle`. */
  readonly message: AclMessage | null;
  checkGuard(fn: string): void;
  takeRefusal<V>(): { tag: 'err'; val: V } | null;
  charge(bytes: number, fn?: HostFunction): void;
  chargeCall(bytes: number, fn?: HostFunction): void;
  chargeBytes(bytes: number): void;
  liftRefusal(e: LiftLimitExceeded, bytes: number): string;
  directoryQuota(units: number): string | null;
  nextId(): string;
}
