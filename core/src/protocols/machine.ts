/**
 * How an interaction protocol is described: a table of rules `(phase, role of sender, act) → phase`
 * for ONE branch of a conversation, i.e. the exchange between the initiator and one participant.
 * A conversation with many participants (a cfp to ten contractors) is one branch per participant,
 * each moving through the same table on its own.
 *
 * Machines are plain data so that the enforced sequences can be read, documented and tested
 * exhaustively; `step.ts` interprets them and adds what every protocol shares (the cancel
 * meta-protocol, `not-understood`, deadlines).
 */
import type { Performative } from '../acl/message.js';
import { ProtocolConfigError, type ProtocolErrorCode } from './errors.js';
import type { ProtocolName } from './names.js';

export type Role = 'initiator' | 'participant';

/**
 * What a `reply-by` on the message that triggers a rule means.
 * - `reply`: the addressed participant must answer by then, or the initiator is sent `failure`.
 * - `call`: the call for proposals closes then; silence is not a failure, later proposals are late.
 */
export type DeadlineKind = 'reply' | 'call';

export interface PhaseInfo {
  /** Nothing more is expected on this branch. */
  readonly final: boolean;
  /** What being in this phase means, quoted in violation reasons and docs. */
  readonly meaning: string;
}

/** The runtime answers the sender itself instead of delivering (a late contract-net proposal). */
export interface AutoAnswer {
  readonly performative: Performative;
  readonly code: ProtocolErrorCode;
  readonly reason: string;
}

export interface Rule {
  readonly from: string;
  readonly role: Role;
  readonly act: Performative;
  readonly to: string;
  readonly arms?: DeadlineKind;
  readonly answer?: AutoAnswer;
}

/** `[from, role, act, to, extras?]`: reads like the sequence diagrams of the specifications. */
export type RuleSpec = readonly [from: string, role: Role, act: Performative, to: string, extras?: Pick<Rule, 'arms' | 'answer'>];

/** Phases of a call for proposals, so the tracker can close a round and summarise it. */
export interface CallPhases {
  /** Called, no answer yet: becomes `closed` when the call's reply-by passes. */
  readonly awaiting: string;
  readonly closed: string;
  /** Proposed, waiting for the initiator's accept/reject (or a new round). */
  readonly proposed: string;
  readonly refused: string;
}

export interface ProtocolMachine {
  readonly name: ProtocolName;
  /** FIPA specification number, e.g. `SC00026`. */
  readonly spec: string;
  readonly phases: ReadonlyMap<string, PhaseInfo>;
  readonly rules: readonly Rule[];
  /** Acts that open a conversation (the rules leaving `start`). */
  readonly openers: ReadonlySet<Performative>;
  readonly call: CallPhases | undefined;
  rule(phase: string, role: Role, act: Performative): Rule | undefined;
}

export const START = 'start';
export const CANCELLING = 'cancelling';
export const CANCELLED = 'cancelled';
export const CANCEL_FAILED = 'cancel-failed';
export const NOT_UNDERSTOOD = 'not-understood';
export const TIMED_OUT = 'timed-out';
export const ABANDONED = 'abandoned';

/** Phases every protocol has; the step function drives them, protocol tables never mention them. */
export const META_PHASES: ReadonlyMap<string, PhaseInfo> = new Map<string, PhaseInfo>([
  [START, { final: false, meaning: 'the opening message has not been sent' }],
  [CANCELLING, { final: false, meaning: 'the initiator sent cancel; the participant owes inform (done) or failure' }],
  [CANCELLED, { final: true, meaning: 'the participant confirmed the cancel with inform' }],
  [CANCEL_FAILED, { final: true, meaning: 'the participant answered the cancel with failure' }],
  [NOT_UNDERSTOOD, { final: true, meaning: 'the participant answered not-understood' }],
  [TIMED_OUT, { final: true, meaning: 'the reply-by deadline passed and the initiator was sent failure' }],
  [ABANDONED, { final: true, meaning: 'the conversation went idle and the initiator was sent failure' }],
]);

export interface MachineDefinition {
  readonly name: ProtocolName;
  readonly spec: string;
  /** Protocol phases besides the meta phases. */
  readonly phases: Readonly<Record<string, PhaseInfo>>;
  readonly rules: readonly RuleSpec[];
  readonly call?: CallPhases;
}

const ruleKey = (phase: string, role: Role, act: Performative): string => `${phase}\u0000${role}\u0000${act}`;

/**
 * Builds a machine and checks the table is coherent. A broken table is a programming error in this
 * module, so it fails at import time (and in every test) rather than on some rare message.
 */
export function defineMachine(definition: MachineDefinition): ProtocolMachine {
  const phases = new Map<string, PhaseInfo>(META_PHASES);
  for (const [phase, info] of Object.entries(definition.phases)) {
    if (phases.has(phase)) throw invalidMachine(definition.name, `phase '${phase}' clashes with a meta phase`);
    phases.set(phase, info);
  }
  const rules: Rule[] = [];
  const byKey = new Map<string, Rule>();
  for (const [from, role, act, to, extras] of definition.rules) {
    const fromInfo = phases.get(from);
    if (fromInfo === undefined || !phases.has(to)) throw invalidMachine(definition.name, `rule ${from} → ${to} names an unknown phase`);
    if (fromInfo.final && extras?.answer === undefined) {
      throw invalidMachine(definition.name, `final phase '${from}' may only have auto-answer rules`);
    }
    if (act === 'cancel' || act === 'not-understood') {
      throw invalidMachine(definition.name, `'${act}' belongs to the meta-protocol, not to protocol tables`);
    }
    const rule: Rule = { from, role, act, to, ...extras };
    const key = ruleKey(from, role, act);
    if (byKey.has(key)) throw invalidMachine(definition.name, `two rules for ${role} ${act} in '${from}'`);
    byKey.set(key, rule);
    rules.push(rule);
  }
  const openers = new Set(rules.filter((r) => r.from === START).map((r) => r.act));
  if (openers.size === 0) throw invalidMachine(definition.name, 'no rule leaves start');
  if (rules.some((r) => r.from === START && r.role !== 'initiator')) {
    throw invalidMachine(definition.name, 'only the initiator opens a conversation');
  }
  if (definition.call !== undefined) {
    for (const phase of Object.values(definition.call)) {
      if (!phases.has(phase)) throw invalidMachine(definition.name, `call phase '${phase}' is unknown`);
    }
  }
  return {
    name: definition.name,
    spec: definition.spec,
    phases,
    rules,
    openers,
    call: definition.call,
    rule: (phase, role, act) => byKey.get(ruleKey(phase, role, act)),
  };
}

function invalidMachine(name: string, detail: string): ProtocolConfigError {
  return new ProtocolConfigError(
    `protocol machine ${name} is inconsistent: ${detail}`,
    'fix the rule table in core/src/protocols/machines/',
  );
}
