/**
 * fipa-query (SC00027): query-if | query-ref → [agree] → inform (inform-t/f, inform-result) | failure,
 * or refuse. As in fipa-request the agree may be skipped when the answer is immediate.
 */
import { defineMachine } from '../machine.js';

export const fipaQuery = defineMachine({
  name: 'fipa-query',
  spec: 'SC00027',
  phases: {
    queried: { final: false, meaning: 'the query awaits agree, refuse or the answer' },
    agreed: { final: false, meaning: 'the participant agreed and owes inform or failure' },
    refused: { final: true, meaning: 'the participant refused' },
    failed: { final: true, meaning: 'the participant reported failure' },
    answered: { final: true, meaning: 'the participant answered with inform' },
  },
  rules: [
    ['start', 'initiator', 'query-if', 'queried', { arms: 'reply' }],
    ['start', 'initiator', 'query-ref', 'queried', { arms: 'reply' }],
    ['queried', 'participant', 'agree', 'agreed'],
    ['queried', 'participant', 'refuse', 'refused'],
    ['queried', 'participant', 'failure', 'failed'],
    ['queried', 'participant', 'inform', 'answered'],
    ['agreed', 'participant', 'failure', 'failed'],
    ['agreed', 'participant', 'inform', 'answered'],
  ],
});
