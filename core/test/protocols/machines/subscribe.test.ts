import { fipaSubscribe } from '../../../src/protocols/machines/subscribe.js';
import { exhaustiveSuite, t } from './exhaustive-suite.js';

// SC00035: subscribe → refuse | agree → inform* → (cancel → inform-done | failure) | failure.
exhaustiveSuite(fipaSubscribe, {
  openers: ['subscribe'],
  phases: { subscribing: 'open', subscribed: 'open', refused: 'final', failed: 'final' },
  transitions: [
    t('start', 'initiator', 'subscribe', 'subscribing', { arms: 'reply' }),
    t('subscribing', 'participant', 'refuse', 'refused'),
    t('subscribing', 'participant', 'agree', 'subscribed'),
    t('subscribed', 'participant', 'inform', 'subscribed'),
    t('subscribed', 'participant', 'failure', 'failed'),
  ],
});
