/**
 * Checks a protocol machine against the sequences transcribed (independently of the machine's own
 * table) from its FIPA specification: every (phase, role, act) triple is tried; the listed ones must
 * advance exactly as listed, every other one must be a violation with a reason. The meta-protocol
 * expectations (cancel, not-understood) are spelled out here once, for all protocols.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PERFORMATIVES, type Performative } from '../../../src/acl/message.js';
import { PROTOCOL_ERROR_CODES } from '../../../src/protocols/errors.js';
import { META_PHASES, type ProtocolMachine, type Role } from '../../../src/protocols/machine.js';
import { step, type BranchState, type StepOutcome } from '../../../src/protocols/step.js';

export interface SpecTransition {
  readonly from: string;
  readonly role: Role;
  readonly act: Performative;
  readonly to: string;
  readonly arms?: 'reply' | 'call';
  /** The runtime answers with this act instead of delivering. */
  readonly answer?: Performative;
}

export interface ProtocolSpec {
  readonly openers: readonly Performative[];
  /** Protocol phases (not the meta ones) and whether each is final. */
  readonly phases: Readonly<Record<string, 'open' | 'final'>>;
  readonly transitions: readonly SpecTransition[];
}

const ROLES: readonly Role[] = ['initiator', 'participant'];
const META_FINALS = ['cancelled', 'cancel-failed', 'not-understood', 'timed-out', 'abandoned'];

export function t(
  from: string,
  role: Role,
  act: Performative,
  to: string,
  extra: Pick<SpecTransition, 'arms' | 'answer'> = {},
): SpecTransition {
  return { from, role, act, to, ...extra };
}

export function exhaustiveSuite(machine: ProtocolMachine, spec: ProtocolSpec): void {
  const isFinalPhase = (phase: string): boolean => spec.phases[phase] === 'final' || META_FINALS.includes(phase);
  const allPhases = ['start', ...Object.keys(spec.phases), ...META_FINALS];

  /** The transition the spec (plus the meta-protocol) prescribes, or undefined for a violation. */
  function expected(
    phase: string,
    role: Role,
    act: Performative,
  ): { next: BranchState; arms?: 'reply' | 'call'; answer?: Performative } | undefined {
    const started = phase !== 'start';
    if (act === 'not-understood') {
      return role === 'participant' && started && !isFinalPhase(phase) ? { next: { phase: 'not-understood' } } : { next: { phase } };
    }
    if (act === 'cancel' && role === 'initiator' && started && !isFinalPhase(phase)) {
      return { next: { phase: 'cancelling', resume: phase }, arms: 'reply' };
    }
    const match = spec.transitions.find((x) => x.from === phase && x.role === role && x.act === act);
    if (match === undefined) return undefined;
    const result: { next: BranchState; arms?: 'reply' | 'call'; answer?: Performative } = { next: { phase: match.to } };
    if (match.arms !== undefined) result.arms = match.arms;
    if (match.answer !== undefined) result.answer = match.answer;
    return result;
  }

  function assertOutcome(outcome: StepOutcome, want: ReturnType<typeof expected>, label: string, phase: string): void {
    if (want === undefined) {
      assert.equal(outcome.kind, 'violation', `${label} must be a violation`);
      if (outcome.kind !== 'violation') return;
      const wantCode = isFinalPhase(phase) ? PROTOCOL_ERROR_CODES.conversationEnded : PROTOCOL_ERROR_CODES.outOfSequence;
      assert.equal(outcome.code, wantCode, label);
      assert.match(outcome.reason, new RegExp(machine.name), `${label}: reason names the protocol`);
      return;
    }
    if (want.answer !== undefined) {
      assert.equal(outcome.kind, 'answer', `${label} must be auto-answered`);
      if (outcome.kind === 'answer') {
        assert.equal(outcome.answer.performative, want.answer, label);
        assert.deepEqual(outcome.next, want.next, label);
      }
      return;
    }
    assert.equal(outcome.kind, 'advance', `${label} must advance`);
    if (outcome.kind !== 'advance') return;
    assert.deepEqual({ ...outcome.next }, want.next, label);
    assert.equal(outcome.arms, want.arms, `${label}: armed deadline`);
  }

  describe(`${machine.name} (${machine.spec}) transition table`, () => {
    it('has exactly the phases of the specification plus the meta phases', () => {
      assert.deepEqual([...machine.phases.keys()].sort(), [...allPhases, 'cancelling'].sort());
      for (const [phase, info] of machine.phases) assert.equal(info.final, isFinalPhase(phase) && phase !== 'start', phase);
      assert.deepEqual(
        [...META_PHASES.keys()].filter((p) => !machine.phases.has(p)),
        [],
      );
    });

    it('is opened by exactly the specified acts', () => {
      assert.deepEqual([...machine.openers].sort(), [...spec.openers].sort());
    });

    for (const phase of allPhases) {
      it(`phase '${phase}': every act of every role`, () => {
        for (const role of ROLES) {
          for (const act of PERFORMATIVES) {
            const label = `${machine.name} ${phase} ${role} ${act}`;
            assertOutcome(step(machine, { phase }, role, act), expected(phase, role, act), label, phase);
          }
        }
      });
    }

    const cancellable = Object.keys(spec.phases).filter((p) => spec.phases[p] === 'open');
    for (const resume of cancellable) {
      it(`cancelling from '${resume}': the cancel is answered, crossing acts are tracked, the rest is refused`, () => {
        const state: BranchState = { phase: 'cancelling', resume };
        for (const act of PERFORMATIVES) {
          // As an answer to the cancel (no in-reply-to, or one naming the cancel).
          const asAnswer = step(machine, state, 'participant', act);
          const crossing = spec.transitions.find(
            (x) => x.from === resume && x.role === 'participant' && x.act === act && x.answer === undefined,
          );
          const landed = (to: string): BranchState => (isFinalPhase(to) ? { phase: to } : { phase: 'cancelling', resume: to });
          const wantAnswer: BranchState | undefined =
            act === 'inform'
              ? { phase: 'cancelled' }
              : act === 'failure'
                ? { phase: 'cancel-failed' }
                : act === 'not-understood'
                  ? { phase: 'not-understood' }
                  : crossing === undefined
                    ? undefined
                    : landed(crossing.to);
          checkCancelling(asAnswer, wantAnswer, `${machine.name} cancelling(${resume}) participant ${act}`);

          // In reply to something else: a protocol act that crossed the cancel.
          const asCrossing = step(machine, state, 'participant', act, { answersCancel: false });
          const wantCrossing: BranchState | undefined =
            act === 'not-understood' ? { phase: 'not-understood' } : crossing === undefined ? undefined : landed(crossing.to);
          checkCancelling(asCrossing, wantCrossing, `${machine.name} cancelling(${resume}) crossing ${act}`);

          const byInitiator = step(machine, state, 'initiator', act);
          checkCancelling(
            byInitiator,
            act === 'not-understood' ? state : undefined,
            `${machine.name} cancelling(${resume}) initiator ${act}`,
          );
        }
      });
    }
  });
}

function checkCancelling(outcome: StepOutcome, want: BranchState | undefined, label: string): void {
  if (want === undefined) {
    assert.equal(outcome.kind, 'violation', `${label} must be a violation`);
    if (outcome.kind === 'violation') {
      assert.equal(outcome.code, PROTOCOL_ERROR_CODES.outOfSequence, label);
      assert.match(outcome.reason, /while cancelling/, label);
    }
    return;
  }
  assert.equal(outcome.kind, 'advance', `${label} must advance`);
  if (outcome.kind === 'advance') assert.deepEqual({ ...outcome.next }, { ...want }, label);
}
