/**
 * fipa-request (SC00026): request → [agree] → inform-done | inform-result | failure, or refuse.
 * The agree is optional: SC00026 lets a participant that can act at once answer with the result.
 */
import { defineMachine } from '../machine.js';

export const fipaRequest = defineMachine({
  name: 'fipa-request',
  spec: 'SC00026',
  phases: {
    requested: { final: false, meaning: 'the request awaits agree, refuse or the result' },
    agreed: { final: false, meaning: 'the participant agreed and owes inform or failure' },
    refused: { final: true, meaning: 'the participant refused' },
    failed: { final: true, meaning: 'the participant reported failure' },
    done: { final: true, meaning: 'the participant reported the outcome with inform' },
  },
  rules: [
    ['start', 'initiator', 'request', 'requested', { arms: 'reply' }],
    ['requested', 'participant', 'agree', 'agreed'],
    ['requested', 'participant', 'refuse', 'refused'],
    ['requested', 'participant', 'failure', 'failed'],
    ['requested', 'participant', 'inform', 'done'],
    ['agreed', 'participant', 'failure', 'failed'],
    ['agreed', 'participant', 'inform', 'done'],
  ],
});
