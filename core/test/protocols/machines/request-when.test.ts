import { fipaRequestWhen } from '../../../src/protocols/machines/request-when.js';
import { exhaustiveSuite, t } from './exhaustive-suite.js';

// SC00028: request-when → refuse | agree → (precondition holds) failure | inform-done | inform-result.
// Caxton extension: request-whenever → refuse | agree → inform* … until failure or cancel.
exhaustiveSuite(fipaRequestWhen, {
  openers: ['request-when', 'request-whenever'],
  phases: {
    requested: 'open',
    agreed: 'open',
    'whenever-requested': 'open',
    standing: 'open',
    refused: 'final',
    failed: 'final',
    done: 'final',
  },
  transitions: [
    t('start', 'initiator', 'request-when', 'requested', { arms: 'reply' }),
    t('start', 'initiator', 'request-whenever', 'whenever-requested', { arms: 'reply' }),
    t('requested', 'participant', 'refuse', 'refused'),
    t('requested', 'participant', 'agree', 'agreed'),
    t('agreed', 'participant', 'failure', 'failed'),
    t('agreed', 'participant', 'inform', 'done'),
    t('whenever-requested', 'participant', 'refuse', 'refused'),
    t('whenever-requested', 'participant', 'agree', 'standing'),
    t('standing', 'participant', 'inform', 'standing'),
    t('standing', 'participant', 'failure', 'failed'),
  ],
});
