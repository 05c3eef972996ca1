// A counter incremented by timers: every `request` arms one timer, and the timer's on-timer
// handling increments a durable count. The count is committed together with the timer's firing
// (issue 24: with a done marker), so however the node crashes, each armed timer counts once.
//
//   request "tick [<delay-ms>] [<note>]"  -> agree; armed += 1 (and <note> appended to `notes`);
//                                           after delay-ms (default 1), count += 1 and
//                                           inform "<count>" in-reply-to the request's reply-with
//   request "note <note>"                  -> agree; <note> appended to `notes`
//   request "big <n>"                      -> agree; `big` set to a value of n characters (a state
//                                           write the node may refuse to commit: tests use it)
//   query-ref "count" | "armed" | "notes"  -> inform "<value>"; query-ref "big" -> inform its length
//   anything else                          -> not-understood (or refuse, for a malformed request)
//
// State keys: `count` (timers fired), `armed` (timers armed), `notes` (each note followed by ";").
// The timer token carries what the inform needs (requester, conversation, reply-with), so no table
// of pending timers is kept in memory (compare examples/as-reminder).
import {
  Agent, AclMessage, AgentId, Performative, register, reply, send, setTimer, agree, refuse,
  notUnderstood, fail, warn, State,
} from "@caxton/sdk-assemblyscript";

const COUNT = "count";
const ARMED = "armed";
const NOTES = "notes";
const BIG = "big";
const TAG = "tick/1";
const MAX_DELAY_MS: u64 = 60 * 60 * 1000;

function parseNumber(digits: string, max: u64): i64 {
  if (digits.length == 0) return -1;
  let n: u64 = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + <u64>(c - 0x30);
    if (n > max) return -1;
  }
  return <i64>n;
}

/** Add one to an integer key; null, or why the write was refused. */
function increment(key: string): string | null {
  const err = State.set(key, (State.getI64(key) + 1).toString());
  return err === null ? null : err.toString();
}

function appendNote(note: string): string | null {
  const old = State.get(NOTES);
  const err = State.set(NOTES, (old === null ? "" : old) + note + ";");
  return err === null ? null : err.toString();
}

/** Token: TAG LF <to> LF <conversation-id> LF <reply-with> (names and ids hold no newline). */
function tokenFor(msg: AclMessage): string | null {
  const to: AgentId | null = msg.replyTo.length > 0 ? msg.replyTo[0] : msg.sender;
  if (to === null) return null;
  const cid = msg.conversationId;
  const rw = msg.replyWith;
  return TAG + "\n" + to.name + "\n" + (cid === null ? "" : cid!) + "\n" + (rw === null ? "" : rw!);
}

class TimerCounter extends Agent {
  onMessage(msg: AclMessage): void {
    if (msg.performative == Performative.QueryRef) {
      const what = msg.content !== null ? msg.content!.trim() : "";
      if (what == BIG) {
        // Its length only (it is big): what this instance's view of the state holds.
        const v = State.get(BIG);
        reply(msg, Performative.Inform, v === null ? "0" : v!.length.toString());
      } else if (what == COUNT || what == ARMED || what == NOTES) {
        const v = State.get(what);
        reply(msg, Performative.Inform, v === null ? (what == NOTES ? "" : "0") : v!);
      } else {
        notUnderstood(msg, "query-ref count, armed, notes or big");
      }
      return;
    }
    if (msg.performative != Performative.Request) {
      if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
        notUnderstood(msg, "send a request (tick, note or big) or a query-ref");
      }
      return;
    }
    const words = (msg.content !== null ? msg.content!.trim() : "").split(" ");
    const verb = words[0];
    if (verb == "tick") {
      let delay: i64 = 1;
      if (words.length > 1) delay = parseNumber(words[1], MAX_DELAY_MS);
      const token = tokenFor(msg);
      if (delay < 0 || token === null) {
        refuse(msg, "expected \"tick [<delay-ms>] [<note>]\" with delay-ms a whole number up to 3600000");
        return;
      }
      let err = increment(ARMED);
      if (err === null && words.length > 2) err = appendNote(words[2]);
      if (err !== null) {
        fail(err!);
        return;
      }
      agree(msg);
      setTimer(<u32>delay, token!);
    } else if (verb == "note" && words.length > 1) {
      const err = appendNote(words[1]);
      if (err !== null) {
        fail(err!);
        return;
      }
      agree(msg);
    } else if (verb == "big" && words.length > 1) {
      const n = parseNumber(words[1], 1 << 30);
      if (n < 0) {
        refuse(msg, "expected \"big <n>\"");
        return;
      }
      const err = State.set(BIG, "x".repeat(<i32>n));
      if (err !== null) {
        fail(err.toString());
        return;
      }
      agree(msg);
    } else {
      refuse(msg, "expected \"tick [<delay-ms>] [<note>]\", \"note <note>\" or \"big <n>\"");
    }
  }

  onTimer(token: string): void {
    const fields = token.split("\n");
    if (fields.length != 4 || fields[0] != TAG) {
      warn("ignoring a timer token that is not a " + TAG + " token");
      return;
    }
    const err = increment(COUNT);
    if (err !== null) {
      warn("count not incremented: " + err!);
      return;
    }
    const inform = new AclMessage(Performative.Inform);
    inform.receivers.push(new AgentId(fields[1]));
    inform.content = State.get(COUNT);
    inform.conversationId = fields[2].length > 0 ? fields[2] : null;
    inform.inReplyTo = fields[3].length > 0 ? fields[3] : null;
    const sent = send(inform);
    if (sent !== null) warn("inform not sent: " + sent!);
  }
}

register(new TimerCounter());

export * from "@caxton/sdk-assemblyscript/exports";
