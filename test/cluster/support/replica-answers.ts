/**
 * The answers of the replica echo (examples/as-replica-echo: `replica=<n> count=<k> <content>`) as the
 * nodes' journals recorded them (node-child.ts: `R <ms> <message id> <content>`), one entry per
 * answer message.
 *
 * Deduplicated by message id: an answer is the message its id names. Handling is at least once and
 * its effects exactly once (decision 0001, transactional outbox and derived ids): a delivery handled again — its partition moved before the
 * first handling's completion was committed — sends the same answer again under the same derived id,
 * which the log drops for an agent receiver; an outside receiver's notice fires on the node that
 * handled it each time. Two answers with different ids are two messages, and count as two.
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

const ANSWER = /^R (\d+) (\S+) replica=(\d+) count=\d+ (.*)$/;

export function replicaAnswers(journals: ReadonlyArray<{ id: string; journal?: string | undefined }>): ReplicaAnswers {
  const byId = new Map<string, { content: string; answer: ReplicaAnswer }>();
  const repeated: string[] = [];
  for (const n of journals) {
    let text = '';
    try {
      text = readFileSync(n.journal!, 'utf8');
    } catch {
      continue; // not written yet
    }
    for (const line of text.split('\n')) {
      const m = ANSWER.exec(line);
      if (!m) continue;
      const answer: ReplicaAnswer = { node: n.id, replica: Number(m[3]), messageId: m[2]!, at: Number(m[1]) };
      const before = byId.get(answer.messageId);
      if (before !== undefined) {
        repeated.push(`${m[4]}@${n.id}`);
        if (before.answer.at > answer.at) continue;
      }
      byId.set(answer.messageId, { content: m[4]!, answer });
    }
  }
  const byContent = new Map<string, ReplicaAnswer[]>();
  for (const { content, answer } of byId.values()) byContent.set(content, [...(byContent.get(content) ?? []), answer]);
  return { byContent, repeated };
}
