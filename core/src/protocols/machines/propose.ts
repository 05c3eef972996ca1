/** fipa-propose (SC00036): propose → accept-proposal | reject-proposal. */
import { defineMachine } from '../machine.js';

export const fipaPropose = defineMachine({
  name: 'fipa-propose',
  spec: 'SC00036',
  phases: {
    proposed: { final: false, meaning: 'the proposal awaits accept-proposal or reject-proposal' },
    accepted: { final: true, meaning: 'the participant accepted the proposal' },
    rejected: { final: true, meaning: 'the participant rejected the proposal' },
  },
  rules: [
    ['start', 'initiator', 'propose', 'proposed', { arms: 'reply' }],
    ['proposed', 'participant', 'accept-proposal', 'accepted'],
    ['proposed', 'participant', 'reject-proposal', 'rejected'],
  ],
});
