/** Sniffed messages of one contract net, as the server would send them, for the model's tests. */
import type { SniffedMessage } from '@caxton/core';

let seq = 0;
export function msg(sender: string, receivers: string[], performative: string, over: Partial<SniffedMessage> = {}): SniffedMessage {
  seq++;
  return {
    id: `m${seq}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString(),
    sender,
    receivers,
    performative,
    conversationId: 'c1',
    protocol: 'fipa-contract-net',
    acl: { performative },
    fipa: `(${performative})`,
    ...over,
  };
}

/** cfp to three, two proposals and a refusal, accept one, reject one, inform. */
export function contractNet(conversationId = 'c1'): SniffedMessage[] {
  const o = { conversationId };
  return [
    msg('init@n', ['a@n', 'b@n', 'c@n'], 'cfp', { ...o, replyBy: '2026-01-01T00:00:05.000Z', protocolState: 'cfp-sent' }),
    msg('a@n', ['init@n'], 'propose', o),
    msg('b@n', ['init@n'], 'propose', o),
    msg('c@n', ['init@n'], 'refuse', o),
    msg('init@n', ['a@n'], 'accept-proposal', o),
    msg('init@n', ['b@n'], 'reject-proposal', o),
    msg('a@n', ['init@n'], 'inform', { ...o, protocolState: 'done' }),
  ];
}
