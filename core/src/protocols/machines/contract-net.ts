/**
 * fipa-contract-net (SC00029) and fipa-iterated-contract-net (SC00030), one branch per contractor:
 *
 *   cfp → propose | refuse; [call closes at the cfp's reply-by]
 *   propose → accept-proposal → inform-done | inform-result | failure
 *           → reject-proposal
 *   iterated only: propose → cfp (a new round with the same conversation-id)
 *
 * The cfp's reply-by closes the call ('call' deadline): contractors that have not answered by then
 * are `closed`, and a proposal from them afterwards is rejected by the runtime with reject-proposal
 * ("automatically rejected … the proposal was late", SC00029) and never reaches the initiator.
 * The initiator may accept or reject a proposal before the call closes (it may already have all
 * answers). A reply-by on accept-proposal bounds the wait for the result like a request's.
 */
import { PROTOCOL_ERROR_CODES } from '../errors.js';
import { defineMachine, type CallPhases, type MachineDefinition, type RuleSpec } from '../machine.js';

const phases: MachineDefinition['phases'] = {
  called: { final: false, meaning: 'the call for proposals awaits propose or refuse' },
  proposed: { final: false, meaning: "the proposal awaits the initiator's accept-proposal or reject-proposal" },
  accepted: { final: false, meaning: 'the proposal was accepted; the contractor owes inform or failure' },
  refused: { final: true, meaning: 'the contractor refused the call' },
  rejected: { final: true, meaning: 'the initiator rejected the proposal' },
  done: { final: true, meaning: 'the contractor reported the outcome with inform' },
  failed: { final: true, meaning: 'the contractor reported failure' },
  closed: { final: true, meaning: 'the call for proposals closed before this contractor answered' },
  'late-rejected': { final: true, meaning: 'a late proposal was rejected by the runtime' },
};

const call: CallPhases = { awaiting: 'called', closed: 'closed', proposed: 'proposed', refused: 'refused' };

const rules: readonly RuleSpec[] = [
  ['start', 'initiator', 'cfp', 'called', { arms: 'call' }],
  ['called', 'participant', 'propose', 'proposed'],
  ['called', 'participant', 'refuse', 'refused'],
  ['proposed', 'initiator', 'accept-proposal', 'accepted', { arms: 'reply' }],
  ['proposed', 'initiator', 'reject-proposal', 'rejected'],
  ['accepted', 'participant', 'inform', 'done'],
  ['accepted', 'participant', 'failure', 'failed'],
  [
    'closed',
    'participant',
    'propose',
    'late-rejected',
    {
      answer: {
        performative: 'reject-proposal',
        code: PROTOCOL_ERROR_CODES.lateProposal,
        reason: 'the proposal arrived after the reply-by of the call for proposals, so it was rejected without reaching the initiator',
      },
    },
  ],
];

export const fipaContractNet = defineMachine({ name: 'fipa-contract-net', spec: 'SC00029', phases, rules, call });

export const fipaIteratedContractNet = defineMachine({
  name: 'fipa-iterated-contract-net',
  spec: 'SC00030',
  phases,
  rules: [...rules, ['proposed', 'initiator', 'cfp', 'called', { arms: 'call' }]],
  call,
});
