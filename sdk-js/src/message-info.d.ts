// Types for '@caxton/sdk-js/message-info' (decision 2001).
import type { AgentId } from './index.js';

export type MessageInfoErrorKind = 'no-message' | 'invalid-range';

export class MessageInfoError extends Error {
  readonly kind: MessageInfoErrorKind;
  readonly reason: string;
}

export const MAX_RECEIVERS_PAGE: 256;

export const messageInfo: {
  /** How many receivers the message being handled has (0 outside a handler). */
  receiverCount(): number;
  /** Receivers `offset .. offset + limit` (limit 1..256), in the order sent; throws MessageInfoError. */
  receivers(offset: number, limit: number): AgentId[];
  /** Every receiver of the message being handled, paged. */
  allReceivers(): AgentId[];
};
