/**
 * fipa-subscribe (SC00035): subscribe → agree | refuse; after agree any number of inform until the
 * initiator cancels (cancel → inform-done | failure) or the participant sends failure.
 */
import { defineMachine } from '../machine.js';

export const fipaSubscribe = defineMachine({
  name: 'fipa-subscribe',
  spec: 'SC00035',
  phases: {
    subscribing: { final: false, meaning: 'the subscribe awaits agree or refuse' },
    subscribed: { final: false, meaning: 'the subscription is active: the participant may inform any number of times' },
    refused: { final: true, meaning: 'the participant refused the subscription' },
    failed: { final: true, meaning: 'the participant ended the subscription with failure' },
  },
  rules: [
    ['start', 'initiator', 'subscribe', 'subscribing', { arms: 'reply' }],
    ['subscribing', 'participant', 'agree', 'subscribed'],
    ['subscribing', 'participant', 'refuse', 'refused'],
    ['subscribed', 'participant', 'inform', 'subscribed'],
    ['subscribed', 'participant', 'failure', 'failed'],
  ],
});
