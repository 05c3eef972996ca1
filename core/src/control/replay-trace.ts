/**
 * A conversation, step by step (issue 57): each handling of one agent in a conversation as its
 * recorded version runs it again on the node's log — what it was handed, the state before and after,
 * what it did — for `caxton replay --trace` and the console's step view. Plain data, one definition.
 */

/** What a handling was, as a step: its input, the state it saw, what it did (the replay's own record). */
export interface HandlingStep {
  /** The message it was handed (a timer's token for a timer). */
  input:
    | { performative: string; sender: string | undefined; content: string | undefined; conversationId: string | undefined }
    | { timer: string };
  /** The keys it wrote (recorded or replayed), as they were before it: null for a key that was not there. */
  stateBefore: Record<string, string | null>;
  /** Its own writes as the log recorded them. */
  recordedWrites: Record<string, string | null>;
  /** What the replay did: messages sent (receivers, performative, content), timers, HTTP requests, log lines. */
  sent: { performative: string; receivers: string[]; content: string | undefined }[];
  timers: { token: string; delayMs: number }[];
  http: { method: string; url: string }[];
  logs: string[];
}

/** One handling of a conversation's step list. */
export interface ConversationStep {
  agent: string;
  /** When its work was accepted (a message) or due (a timer), ms since epoch; 0 when not known. */
  at: number;
  /** The message id it was handed, or the timer's id. */
  work: string;
  outcome: string;
  fuelUsed: number;
  /** What differed from the record (the recorded version: nothing, unless determinism broke). */
  differs: string[];
  step: HandlingStep;
}

export interface ConversationReplay {
  agent: string;
  conversationId: string;
  /** The version replayed: the one deployed now. */
  version: number;
  steps: ConversationStep[];
  /** Handlings of the agent the log holds, and how many of them were run (the conversation's and those before it). */
  recorded: number;
  replayed: number;
  /** More steps than a list shows: the first ones only (`caxton replay --conversation … --trace` shows them all). */
  truncated: boolean;
}
