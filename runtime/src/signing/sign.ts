/** Signing an agent statement into a DSSE envelope with an Ed25519 key (decision 1400). */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { envelope, pae, statementPayload, STATEMENT_PAYLOAD_TYPE, type AgentStatement, type DsseEnvelope } from '@caxton/core';
import { keyIdOf } from './keys.js';

export function signStatement(statement: AgentStatement, privateKey: KeyObject): DsseEnvelope {
  const payload = statementPayload(statement);
  // Ed25519 hashes internally: the algorithm argument is null.
  const sig = sign(null, pae(STATEMENT_PAYLOAD_TYPE, payload), privateKey);
  return envelope(STATEMENT_PAYLOAD_TYPE, payload, [{ keyid: keyIdOf(createPublicKey(privateKey)), sig: new Uint8Array(sig) }]);
}
