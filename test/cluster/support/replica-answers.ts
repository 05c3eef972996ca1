/**
 * The answers of the replica echo (examples/as-replica-echo: `replica=<n> count=<k> <content>`) as the
 * nodes' journals recorded them (node-child.ts: `R <ms> <message id> <answer>`), one entry per
 * answer message.
 *
 * "Answered exactly once" here means one answer *message* per request, told by its id. Handling is at
 * least once and its effects exactly once (decision 0001, transactional outbox and derived ids): a
 * delivery handled again — its partition moved before the first handling's completion was
 * committed — sends the same answer again under the same derived id, which the log drops for an
 * agent receiver; an outside receiver's notice fires on the node that handled it, each time. Such a
 * repeat is listed in `repeated`, for the test to report. It must be the same answer, byte for byte:
 * the same id with another replica or another count (the agent's state) would be two handlings'
 * effects under one id — state counted twice — and throws. Two answers with different ids are two
 * messages, and count as two.
 */
import { readFileSync } from 'node:fs';

export interface ReplicaAnswer {
  /** The node whose journal holds it (the last to handle it, when handled again). */
  node: string;
  replica: number;
  messageId: string;
  at: number;
}

export interface ReplicaAnswers {
  /** Content → its answers, one per distinct message id. */
  byContent: Map<string, ReplicaAnswer[]>;
  /** Answers recorded again under an id already seen (handling repeated), as `<content>@<node>`. */
  repeated: string[];
}

const ANSWER = /^R (\d+) (\S+) (replica=(\d+) count=\d+ (.*))$/;

export function replicaAnswers(journals: ReadonlyArray<{ id: string; journal?: string | undefined }>): ReplicaAnswers {
  const byId = new Map<string, { content: string; whole: string; answer: ReplicaAnswer }>();
  const repeated: string[] = [];
  for (const n of journals) {
    for (const line of journalLines(n)) {
      const m = ANSWER.exec(line);
      if (!m) continue;
      const answer: ReplicaAnswer = { node: n.id, replica: Number(m[4]), messageId: m[2]!, at: Number(m[1]) };
      const before = byId.get(answer.messageId);
      if (before !== undefined) {
        if (before.whole !== m[3])
          throw new Error(
            `answer ${answer.messageId} recorded as "${before.whole}" on ${before.answer.node} and as "${m[3]}" on ${n.id}: one id, two different answers`,
          );
        repeated.push(`${m[5]}@${n.id}`);
        if (before.answer.at > answer.at) continue;
      }
      byId.set(answer.messageId, { content: m[5]!, whole: m[3]!, answer });
    }
  }
  const byContent = new Map<string, ReplicaAnswer[]>();
  for (const { content, answer } of byId.values()) byContent.set(content, [...(byContent.get(content) ?? []), answer]);
  return { byContent, repeated };
}

/** The journals' raw answer lines for `content` on every node, for a failure message. */
export function answerLines(journals: ReadonlyArray<{ id: string; journal?: string | undefined }>, content: string): string {
  const out: string[] = [];
  for (const n of journals)
    for (const line of journalLines(n)) if (line.startsWith('R ') && line.endsWith(` ${content}`)) out.push(`${n.id}: ${line}`);
  return out.join('\n');
}

/** A node's journal, a line each; none before the node wrote it. */
function journalLines(n: { journal?: string | undefined }): string[] {
  try {
    return readFileSync(n.journal!, 'utf8').split('\n');
  } catch {
    return []; // not written yet
  }
}
