/**
 * Durable agent state (the WIT `caxton:agent/state` interface, decision 1600): the shapes every
 * layer shares. The sandbox buffers an agent's writes per handling and hands them back with the
 * result; the bus commits them in the same durable step as the delivery's completion; the storage
 * adapters (embedded log, Kafka) keep the committed view. One definition of each.
 */

/** One change to an agent's state: a new value, or `null` for a delete. */
export interface StateWrite {
  key: string;
  value: string | null;
}

/** Per-agent bounds on state (UTF-8 bytes). Checked in the sandbox, before the write is buffered. */
export interface StateLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  /** Sum over entries of key bytes + value bytes. */
  maxTotalBytes: number;
  maxKeys: number;
  /** Most keys one `keys` call returns, whatever the agent asks for. */
  maxListLimit: number;
}

export const DEFAULT_STATE_LIMITS: StateLimits = Object.freeze({
  maxKeyBytes: 256,
  maxValueBytes: 64 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
  maxKeys: 10_000,
  maxListLimit: 1_000,
});

/** The WIT `state-error-kind`s: every refusal of a state call is one of these, with a message. */
export type StateErrorKind = 'invalid-key' | 'value-too-large' | 'quota-exceeded' | 'read-only';
