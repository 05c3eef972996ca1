/** Dead letters (decision 1860) between the control model and the wire, both ways. */
import { CaxtonError, DEAD_LETTER_STATES, type DeadLetterState, type DeadLetterView } from '@caxton/core';
import { aclFromWire, aclToWire } from './convert-acl.js';
import type { WireDeadLetter } from './wire.js';

export function deadLetterToWire(v: DeadLetterView): WireDeadLetter {
  return {
    id: v.id,
    receiver: v.delivery.receiver,
    messageId: v.delivery.messageId,
    message: aclToWire(v.delivery.message),
    reason: v.reason,
    attempts: v.attempts,
    deadLetteredUnixMs: v.at,
    state: v.state,
    redriveDeliveryId: v.redrive?.deliveryId ?? '',
    redriveReceiver: v.redrive?.receiver ?? '',
    redrivenUnixMs: v.redrive?.at ?? 0,
    purgedUnixMs: v.purgedAt ?? 0,
  };
}

export function deadLetterFromWire(w: WireDeadLetter): DeadLetterView {
  if (!w.message || !(DEAD_LETTER_STATES as readonly string[]).includes(w.state)) {
    throw new CaxtonError('api.bad-response', `the node sent dead letter ${w.id} without a message or with an unknown state`, {
      kind: 'invalid-argument',
      hint: 'the node and the CLI may be different Caxton versions',
    });
  }
  const at = Number(w.deadLetteredUnixMs);
  const view: DeadLetterView = {
    id: w.id,
    reason: w.reason,
    attempts: w.attempts,
    at,
    state: w.state as DeadLetterState,
    delivery: { id: w.id, messageId: w.messageId, receiver: w.receiver, message: aclFromWire(w.message), acceptedAt: at },
  };
  if (w.redriveDeliveryId !== '')
    view.redrive = { deliveryId: w.redriveDeliveryId, receiver: w.redriveReceiver, at: Number(w.redrivenUnixMs) };
  if (w.state === 'purged') view.purgedAt = Number(w.purgedUnixMs);
  return view;
}
