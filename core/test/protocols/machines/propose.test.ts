import { fipaPropose } from '../../../src/protocols/machines/propose.js';
import { exhaustiveSuite, t } from './exhaustive-suite.js';

// SC00036: propose → accept-proposal | reject-proposal.
exhaustiveSuite(fipaPropose, {
  openers: ['propose'],
  phases: { proposed: 'open', accepted: 'final', rejected: 'final' },
  transitions: [
    t('start', 'initiator', 'propose', 'proposed', { arms: 'reply' }),
    t('proposed', 'participant', 'accept-proposal', 'accepted'),
    t('proposed', 'participant', 'reject-proposal', 'rejected'),
  ],
});
