/**
 * Signed Agent Cards (decision 2188): each card the node serves carries, in the A2A 1.0 card's
 * `signatures`, a JWS (flattened, over the JCS form of the card, spec § 8.4) made with the
 * platform's current MTP signing key — Ed25519, `alg: EdDSA`, `kid` the key's id — so a client
 * checks with the official SDK's `verifyAgentCardSignature` that the card is the platform's. The
 * SDK makes and canonicalises the signature (one definition, the one clients verify against).
 */
import type { KeyObject } from 'node:crypto';
import { generateAgentCardSignature, type AgentCard } from '@a2a-js/sdk';

export type CardSigner = (card: AgentCard) => Promise<AgentCard>;

export function agentCardSigner(key: { id: string; privateKey: KeyObject }): CardSigner {
  return generateAgentCardSignature(key.privateKey, { alg: 'EdDSA', kid: key.id, typ: 'JOSE' });
}
