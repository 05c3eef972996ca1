// The 22 FIPA communicative acts (SC00037). The numeric values ARE the canonical-ABI enum
// discriminants of `performative` in wit/agent.wit (declaration order), so never reorder them.
export enum Performative {
  AcceptProposal = 0,
  Agree = 1,
  Cancel = 2,
  Cfp = 3,
  Confirm = 4,
  Disconfirm = 5,
  Failure = 6,
  Inform = 7,
  InformIf = 8,
  InformRef = 9,
  NotUnderstood = 10,
  Propagate = 11,
  Propose = 12,
  Proxy = 13,
  QueryIf = 14,
  QueryRef = 15,
  Refuse = 16,
  RejectProposal = 17,
  Request = 18,
  RequestWhen = 19,
  RequestWhenever = 20,
  Subscribe = 21,
}

const NAMES: string[] = [
  "accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure", "inform",
  "inform-if", "inform-ref", "not-understood", "propagate", "propose", "proxy", "query-if",
  "query-ref", "refuse", "reject-proposal", "request", "request-when", "request-whenever",
  "subscribe",
];

/** The FIPA spelling, e.g. `Performative.AcceptProposal` -> "accept-proposal". */
export function performativeName(p: Performative): string {
  return p >= 0 && p < NAMES.length ? NAMES[p] : "unknown";
}

/** Parses the FIPA spelling (case-insensitive); returns -1 when it is not one of the 22 acts. */
export function parsePerformative(name: string): i32 {
  const lower = name.toLowerCase();
  for (let i = 0; i < NAMES.length; i++) {
    if (NAMES[i] == lower) return i;
  }
  return -1;
}

/** Log levels, in the order of `log-level` in wit/agent.wit. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
}
