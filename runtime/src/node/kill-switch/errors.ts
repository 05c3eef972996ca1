/** The kill switch's own errors (decision 1403); FrozenError and AgentSuspendedError are in @caxton/core. */
import { CaxtonError } from '@caxton/core';

/** `freeze --cluster` on an embedded node: there is no cluster. */
export class NotClusteredError extends CaxtonError {
  constructor() {
    super('node.not-clustered', 'this node is not part of a cluster: there is no cluster to freeze', {
      kind: 'failed-precondition',
      hint: 'freeze this node with `caxton freeze` (without --cluster)',
    });
  }
}

/** The switch holds in memory but its store refused the write: a restart would forget it. */
export class KillSwitchNotKeptError extends CaxtonError {
  constructor(what: string, subject: string, cause: unknown) {
    super(
      'node.kill-switch-not-kept',
      `${subject} is ${what} in memory, but that could not be stored: ${(cause as Error)?.message ?? String(cause)}`,
      {
        kind: 'unavailable',
        context: { subject },
        hint: 'it holds until this node restarts; fix the storage (disk or etcd) and repeat the command so it survives a restart',
        cause,
      },
    );
  }
}

/**
 * A kill-switch file that cannot be read stops the node from starting: guessing "not frozen" could
 * run agents an operator froze.
 */
export class KillSwitchUnreadableError extends CaxtonError {
  constructor(file: string, cause: unknown) {
    super('node.kill-switch-unreadable', `the kill switch in ${file} cannot be read: ${(cause as Error)?.message ?? String(cause)}`, {
      kind: 'internal',
      context: { file },
      hint: 'restore the file, or remove it to start thawed with no agent suspended (check why it was frozen first)',
      cause,
    });
  }
}
