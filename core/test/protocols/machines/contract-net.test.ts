import { fipaContractNet, fipaIteratedContractNet } from '../../../src/protocols/machines/contract-net.js';
import { exhaustiveSuite, t, type ProtocolSpec } from './exhaustive-suite.js';

// SC00029: cfp → refuse | propose; [reply-by closes the call: late proposals are rejected]
//          propose → reject-proposal | accept-proposal → failure | inform-done | inform-result.
const contractNet: ProtocolSpec = {
  openers: ['cfp'],
  phases: {
    called: 'open',
    proposed: 'open',
    accepted: 'open',
    refused: 'final',
    rejected: 'final',
    done: 'final',
    failed: 'final',
    closed: 'final',
    'late-rejected': 'final',
  },
  transitions: [
    t('start', 'initiator', 'cfp', 'called', { arms: 'call' }),
    t('called', 'participant', 'refuse', 'refused'),
    t('called', 'participant', 'propose', 'proposed'),
    t('proposed', 'initiator', 'reject-proposal', 'rejected'),
    t('proposed', 'initiator', 'accept-proposal', 'accepted', { arms: 'reply' }),
    t('accepted', 'participant', 'failure', 'failed'),
    t('accepted', 'participant', 'inform', 'done'),
    t('closed', 'participant', 'propose', 'late-rejected', { answer: 'reject-proposal' }),
  ],
};

exhaustiveSuite(fipaContractNet, contractNet);

// SC00030: as SC00029, and after a proposal the initiator may call the proposer into a new round.
exhaustiveSuite(fipaIteratedContractNet, {
  ...contractNet,
  transitions: [...contractNet.transitions, t('proposed', 'initiator', 'cfp', 'called', { arms: 'call' })],
});
