// Reminder: timers that survive restarts, because the state lives in the token, not in memory.
//
//   request "<delay-ms> <text>"  -> agree at once; after delay-ms, inform "reminder: <text>"
//                                   (same conversation-id, in-reply-to the request's reply-with:
//                                   agree then inform, a complete fipa-request)
//   request with anything else   -> refuse, saying what the content should look like
//   any other performative       -> not-understood
// e.g. `caxton send reminder request "1500 water the plants"`. delay-ms is 0..86400000 (24 h).
//
// What it shows authors: the host keeps pending timers across node restarts, but an agent's
// memory is lost with its instance (a restart, a crash, an upgrade, another node taking over). So
// this agent keeps NO table of pending reminders: everything needed to answer is written into the
// timer token, and `onTimer` works from the token alone, on whatever instance gets it. The class has
// no fields at all.
//
// Token format (at most 1024 characters, the host's limit; longer reminders are refused):
//
//   "reminder/1" LF <to> LF <conversation-id> LF <reply-with> LF <protocol> LF <text>
//
// Six fields separated by a newline (LF), e.g. "reminder/1\ntester@test\nconv-1\nrw-1\nfipa-request\n
// water the plants". <to> is the request's first reply-to, else its sender. The first field is a
// version tag so a future format, or a token that is not ours, can be told apart. The four header
// fields escape "\" as "\\" and a newline as "\n" (backslash + n), so they never contain a raw
// newline; an empty header field means the parameter was absent. The text is last and verbatim:
// everything after the fifth newline.
//
// Timers fire at least once: a runtime crash between a timer's firing and the end of its handling
// fires it again (on the next start, or on the node that takes the agent over), so a reminder can
// (rarely) arrive twice. A receiver that cares can drop the duplicate by its in-reply-to.
import {
  Agent, AclMessage, AgentId, Performative, register, send, setTimer, agree, refuse, notUnderstood,
  info, warn,
} from "@caxton/sdk-assemblyscript";

const TOKEN_TAG = "reminder/1";
/** The host drops longer tokens (MAX_TIMER_TOKEN), so refuse such a reminder up front. */
const MAX_TOKEN: i32 = 1024;
const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;
const USAGE = "expected \"<delay-ms> <text>\" with delay-ms a whole number from 0 to 86400000 (24 h), e.g. \"1500 water the plants\"";

// --- the token ------------------------------------------------------------------------------------

/** What a pending reminder needs; lives only inside a timer token. */
class Reminder {
  constructor(
    public to: string,
    public conversationId: string | null,
    public replyWith: string | null,
    public protocol: string | null,
    public text: string,
  ) {}
}

function escapeField(s: string | null): string {
  if (s === null) return "";
  return s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** Inverse of escapeField; null for a malformed escape. */
function unescapeField(s: string): string | null {
  if (s.indexOf("\\") < 0) return s;
  const parts = new Array<string>();
  let start = 0;
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) != 0x5c) { i++; continue; } // '\'
    if (i + 1 >= s.length) return null;
    const next = s.charCodeAt(i + 1);
    parts.push(s.substring(start, i));
    if (next == 0x6e) parts.push("\n");        // 'n'
    else if (next == 0x5c) parts.push("\\");
    else return null;
    i += 2;
    start = i;
  }
  parts.push(s.substring(start));
  return parts.join("");
}

function orNull(s: string): string | null {
  return s.length > 0 ? s : null;
}

function encodeToken(r: Reminder): string {
  return TOKEN_TAG + "\n" + escapeField(r.to) + "\n" + escapeField(r.conversationId) + "\n" +
    escapeField(r.replyWith) + "\n" + escapeField(r.protocol) + "\n" + r.text;
}

/** The reminder in `token`, or null when it is not a token this agent made. */
function decodeToken(token: string): Reminder | null {
  const fields = new Array<string>();
  let start = 0;
  for (let k = 0; k < 5; k++) {
    const nl = token.indexOf("\n", start);
    if (nl < 0) return null;
    fields.push(token.substring(start, nl));
    start = nl + 1;
  }
  if (fields[0] != TOKEN_TAG) return null;
  const to = unescapeField(fields[1]);
  const conversationId = unescapeField(fields[2]);
  const replyWith = unescapeField(fields[3]);
  const protocol = unescapeField(fields[4]);
  if (to === null || to.length == 0 || conversationId === null || replyWith === null || protocol === null) return null;
  return new Reminder(to, orNull(conversationId), orNull(replyWith), orNull(protocol), token.substring(start));
}

// --- the request content --------------------------------------------------------------------------

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

/** The delay of "<delay-ms> <text>", or -1 when it is not a whole number in 0..MAX_DELAY_MS. */
function parseDelay(digits: string): i64 {
  if (digits.length == 0) return -1;
  let n: u64 = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1; // also rejects "-5", "+5", "1.5"
    n = n * 10 + <u64>(c - 0x30);
    if (n > MAX_DELAY_MS) return -1;     // before it could overflow
  }
  return <i64>n;
}

// --- the agent ------------------------------------------------------------------------------------

class ReminderAgent extends Agent {
  onMessage(msg: AclMessage): void {
    if (msg.performative != Performative.Request) {
      // Never answer not-understood or failure with not-understood: two agents would bounce forever.
      if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
        notUnderstood(msg, "send a request: " + USAGE);
      }
      return;
    }
    const content = msg.content !== null ? msg.content!.trim() : "";
    let cut = 0;
    while (cut < content.length && !isSpace(content.charCodeAt(cut))) cut++;
    const delay = parseDelay(content.substring(0, cut));
    if (delay < 0) {
      refuse(msg, "malformed reminder: " + USAGE);
      return;
    }
    const text = content.substring(cut).trim();
    if (text.length == 0) {
      refuse(msg, "nothing to remind: " + USAGE);
      return;
    }
    // The inform goes where the agree goes: the request's reply-to, else its sender.
    const requester: AgentId | null = msg.replyTo.length > 0 ? msg.replyTo[0] : msg.sender;
    if (requester === null) return; // the runtime always stamps a sender; nobody to answer otherwise
    const token = encodeToken(new Reminder(requester.name, msg.conversationId, msg.replyWith, msg.protocol, text));
    if (token.length > MAX_TOKEN) {
      refuse(msg, "reminder too long: the text and conversation parameters must fit in " + MAX_TOKEN.toString() + " characters");
      return;
    }
    agree(msg);
    setTimer(<u32>delay, token);
    info("reminder set for " + requester.name + " in " + delay.toString() + " ms: " + text);
  }

  onTimer(token: string): void {
    const r = decodeToken(token);
    if (r === null) {
      warn("ignoring a timer token that is not a reminder/1 token");
      return;
    }
    const inform = new AclMessage(Performative.Inform);
    inform.receivers.push(new AgentId(r.to));
    inform.content = "reminder: " + r.text;
    inform.conversationId = r.conversationId;
    inform.inReplyTo = r.replyWith;
    inform.protocol = r.protocol;
    const err = send(inform);
    if (err !== null) {
      warn("reminder for " + r.to + " not sent: " + err);
      return;
    }
    info("reminder fired for " + r.to + ": " + r.text);
  }
}

register(new ReminderAgent());

export * from "@caxton/sdk-assemblyscript/exports";
