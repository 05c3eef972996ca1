/**
 * fipa-request-when (SC00028): request-when → agree | refuse; once the precondition holds the
 * participant sends inform-done | inform-result | failure. Unlike fipa-request the agree is required:
 * the result may come much later, and the agree is the participant's commitment to watch.
 *
 * Caxton extension (no FIPA protocol exists for it): `request-whenever` opens the same protocol as a
 * standing order — after agree, any number of inform, until failure or the cancel meta-protocol.
 */
import { defineMachine } from '../machine.js';

export const fipaRequestWhen = defineMachine({
  name: 'fipa-request-when',
  spec: 'SC00028',
  phases: {
    requested: { final: false, meaning: 'the request-when awaits agree or refuse' },
    agreed: { final: false, meaning: 'the participant agreed and owes inform or failure once the precondition holds' },
    'whenever-requested': { final: false, meaning: 'the request-whenever awaits agree or refuse' },
    standing: { final: false, meaning: 'the participant agreed to act each time the precondition holds (inform, until failure or cancel)' },
    refused: { final: true, meaning: 'the participant refused' },
    failed: { final: true, meaning: 'the participant reported failure' },
    done: { final: true, meaning: 'the participant reported the outcome with inform' },
  },
  rules: [
    ['start', 'initiator', 'request-when', 'requested', { arms: 'reply' }],
    ['start', 'initiator', 'request-whenever', 'whenever-requested', { arms: 'reply' }],
    ['requested', 'participant', 'agree', 'agreed'],
    ['requested', 'participant', 'refuse', 'refused'],
    ['agreed', 'participant', 'inform', 'done'],
    ['agreed', 'participant', 'failure', 'failed'],
    ['whenever-requested', 'participant', 'agree', 'standing'],
    ['whenever-requested', 'participant', 'refuse', 'refused'],
    ['standing', 'participant', 'inform', 'standing'],
    ['standing', 'participant', 'failure', 'failed'],
  ],
});
