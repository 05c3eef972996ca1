import { fipaRequest } from '../../../src/protocols/machines/request.js';
import { exhaustiveSuite, t } from './exhaustive-suite.js';

// SC00026 §2: request → refuse | [agree] → failure | inform-done | inform-result.
exhaustiveSuite(fipaRequest, {
  openers: ['request'],
  phases: { requested: 'open', agreed: 'open', refused: 'final', failed: 'final', done: 'final' },
  transitions: [
    t('start', 'initiator', 'request', 'requested', { arms: 'reply' }),
    t('requested', 'participant', 'refuse', 'refused'),
    t('requested', 'participant', 'agree', 'agreed'),
    t('requested', 'participant', 'failure', 'failed'),
    t('requested', 'participant', 'inform', 'done'),
    t('agreed', 'participant', 'failure', 'failed'),
    t('agreed', 'participant', 'inform', 'done'),
  ],
});
