import { CaxtonError } from '@caxton/core';

/**
 * A send the bus refused for good (a rule it breaks: unknown receiver, full mailbox, bad message),
 * as opposed to one it could not persist (the log's append failed): a refusal is an answer, a
 * failed append is not and must be tried again.
 */
export function isSendRefusal(err: unknown): boolean {
  return err instanceof CaxtonError && (err.code.startsWith('bus.') || err.code.startsWith('acl.') || err.code.startsWith('protocol.'));
}
