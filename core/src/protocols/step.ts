/**
 * The pure transition function of one conversation branch: (state, role of sender, act) → next
 * state, an auto-answer, or a violation with a reason. It interprets a machine's rule table and adds
 * what every FIPA protocol shares:
 *
 * - cancel meta-protocol: the initiator may cancel at any point after the opening act; the
 *   participant answers inform (done) or failure, and either ends the branch (SC00026 §2: the
 *   initiator "is no longer interested in continuing", so a failed cancel does not resume it).
 *   Messages the participant sent before it saw the cancel cross it in flight, so while cancelling,
 *   acts that were valid before the cancel are still accepted and tracked.
 * - not-understood may be sent at any point. From the participant it ends the branch (it is the
 *   participant's final answer, as in JADE); from the initiator it is informational and changes
 *   nothing (the initiator remains free to cancel or reject).
 */
import type { Performative } from '../acl/message.js';
import { PERFORMATIVES } from '../acl/message.js';
import { PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from './errors.js';
import {
  CANCEL_FAILED,
  CANCELLED,
  CANCELLING,
  NOT_UNDERSTOOD,
  START,
  TIMED_OUT,
  type AutoAnswer,
  type DeadlineKind,
  type ProtocolMachine,
  type Role,
} from './machine.js';

export interface BranchState {
  readonly phase: string;
  /** While cancelling: the protocol phase the branch was in, advanced by acts that cross the cancel. */
  readonly resume?: string;
}

export const INITIAL_STATE: BranchState = { phase: START };

export interface StepContext {
  /**
   * Whether a participant's inform/failure answers the pending cancel. False when its in-reply-to
   * names some other message: then it is an ordinary protocol act that crossed the cancel.
   */
  readonly answersCancel?: boolean;
}

export type StepOutcome =
  | { readonly kind: 'advance'; readonly next: BranchState; readonly arms?: DeadlineKind }
  | { readonly kind: 'answer'; readonly next: BranchState; readonly answer: AutoAnswer }
  | { readonly kind: 'violation'; readonly code: ProtocolErrorCode; readonly reason: string; readonly allowed: readonly Performative[] };

export function isFinal(machine: ProtocolMachine, state: BranchState): boolean {
  return machine.phases.get(state.phase)?.final ?? false;
}

export function step(machine: ProtocolMachine, state: BranchState, role: Role, act: Performative, context: StepContext = {}): StepOutcome {
  return permitted(machine, state, role, act, context) ?? violation(machine, state, role, act);
}

type Permitted = Exclude<StepOutcome, { kind: 'violation' }>;

/** The outcome of an allowed act, or undefined when the act is not allowed. */
function permitted(
  machine: ProtocolMachine,
  state: BranchState,
  role: Role,
  act: Performative,
  context: StepContext,
): Permitted | undefined {
  if (act === 'not-understood') {
    if (role === 'participant' && !isFinal(machine, state) && state.phase !== START) {
      return { kind: 'advance', next: { phase: NOT_UNDERSTOOD } };
    }
    return { kind: 'advance', next: state };
  }
  if (state.phase === CANCELLING) return stepWhileCancelling(machine, state, role, act, context);
  if (act === 'cancel' && role === 'initiator' && state.phase !== START && !isFinal(machine, state)) {
    // A reply-by on the cancel bounds the wait for its confirmation like any other request.
    return { kind: 'advance', next: { phase: CANCELLING, resume: state.phase }, arms: 'reply' };
  }
  const rule = machine.rule(state.phase, role, act);
  if (rule?.answer !== undefined) return { kind: 'answer', next: { phase: rule.to }, answer: rule.answer };
  if (rule === undefined) return undefined;
  return rule.arms === undefined
    ? { kind: 'advance', next: { phase: rule.to } }
    : { kind: 'advance', next: { phase: rule.to }, arms: rule.arms };
}

function stepWhileCancelling(
  machine: ProtocolMachine,
  state: BranchState,
  role: Role,
  act: Performative,
  context: StepContext,
): Permitted | undefined {
  const resume = state.resume ?? START;
  if (role === 'participant') {
    if (context.answersCancel !== false) {
      if (act === 'inform') return { kind: 'advance', next: { phase: CANCELLED } };
      if (act === 'failure') return { kind: 'advance', next: { phase: CANCEL_FAILED } };
    }
    const crossing = machine.rule(resume, 'participant', act);
    if (crossing !== undefined && crossing.answer === undefined) {
      const landed: BranchState = { phase: crossing.to };
      return { kind: 'advance', next: isFinal(machine, landed) ? landed : { phase: CANCELLING, resume: crossing.to } };
    }
  }
  return undefined;
}

/** The state a branch moves to when the reply-by its initiator set passes unanswered. */
export function timedOut(machine: ProtocolMachine, state: BranchState): BranchState {
  return isFinal(machine, state) ? state : { phase: TIMED_OUT };
}

/** Every act `role` may send in `state`, in the spec's order of performatives. */
export function allowedActs(machine: ProtocolMachine, state: BranchState, role: Role): Performative[] {
  return PERFORMATIVES.filter((act) => permitted(machine, state, role, act, {}) !== undefined);
}

function violation(machine: ProtocolMachine, state: BranchState, role: Role, act: Performative): StepOutcome {
  const allowed = allowedActs(machine, state, role).filter((a) => a !== 'not-understood');
  const info = machine.phases.get(state.phase);
  const where = state.phase === CANCELLING ? `while cancelling (from '${state.resume ?? START}')` : `in phase '${state.phase}'`;
  const meaning = info === undefined ? 'unknown phase' : info.meaning;
  const expected =
    allowed.length === 0 ? `the ${role} may send nothing more but not-understood` : `the ${role} may send ${allowed.join(', ')}`;
  const ended = info?.final === true;
  return {
    kind: 'violation',
    code: ended ? PROTOCOL_ERROR_CODES.conversationEnded : PROTOCOL_ERROR_CODES.outOfSequence,
    reason: `${machine.name}: ${role} sent ${act} ${where} (${meaning}); ${expected}`,
    allowed,
  };
}
