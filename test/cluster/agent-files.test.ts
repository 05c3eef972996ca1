/**
 * An agent's files at /data (decision 2191) on three Kafka nodes (`caxton serve` processes, real
 * Kafka and etcd): the same agents as runtime/test/files (examples/py-files, go-files, c-files,
 * rust-files, as-files and js-files, each using its language's own file API or, in AssemblyScript and JavaScript, the SDK's). Files written through one node are read
 * through another; a crash mid-handling leaves no half-written file and each handling again sees
 * the old one; past the file size limit a write is refused to the agent; an escape is an error;
 * and when the node running an agent is killed (SIGKILL), its files are where it runs next.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_FILE_LIMITS, type MessageEvent } from '@caxton/core';
import type { CaxtonClient } from '@caxton/runtime';
import { placement, waitFor } from './support/cluster.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { ROOT } from './support/paths.js';
import { servers, uniqueCluster, type Servers } from './support/servers.js';

const WAIT_MS = 90_000;

/** Each language's agent, and what its libc answers a write past the file size limit. */
const AGENTS = [
  { name: 'files-py', example: 'py-files', tooLarge: 'error:EIO' },
  { name: 'files-go', example: 'go-files', tooLarge: 'error:EFBIG' },
  { name: 'files-c', example: 'c-files', tooLarge: 'error:EFBIG' },
  { name: 'files-rust', example: 'rust-files', tooLarge: 'error:EFBIG' },
  { name: 'files-as', example: 'as-files', tooLarge: 'error:EFBIG' },
  { name: 'files-js', example: 'js-files', tooLarge: 'error:EFBIG' },
] as const;

describe('files at /data on three Kafka nodes (decision 2191)', { timeout: 600_000 }, () => {
  let infra: Servers;
  let nodes: NodeProcess[];
  let clients: CaxtonClient[];
  const replies: MessageEvent[] = [];
  const tails: { cancel(): void }[] = [];
  const used = new Set<MessageEvent>();
  let n = 0;

  /** Tails every live node for what agents send the operator (an answer is accepted on the node that runs its sender). */
  const tailAll = async (): Promise<void> => {
    for (const [i, client] of clients.entries()) {
      if (!nodes[i]!.alive) continue;
      const tail = client.tail({}, (e) => {
        if (e.message.receivers.some((r) => r.name.startsWith('operator@'))) replies.push(e);
      });
      await tail.ready;
      tails.push(tail);
    }
  };

  /** Sends `content` to `agent` through node `via` (retried while a node is taking over) and returns the answer. */
  const ask = async (agent: string, content: string, via = 0): Promise<string> => {
    const conversationId = `files-${n++}`;
    const message = { performative: 'request' as const, receivers: [{ name: agent }], content, conversationId };
    for (let attempt = 1; ; attempt++) {
      try {
        await clients[via]!.send({ structured: message }, { idempotencyKey: `files-test-${conversationId}` });
        break;
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const seen = (): MessageEvent | undefined =>
      replies.find((e) => e.message.conversationId === conversationId && e.message.sender?.name.startsWith(`${agent}@`) && !used.has(e));
    const answer = await waitFor(`${agent}'s answer to ${content.slice(0, 40)}`, async () => seen(), WAIT_MS);
    used.add(answer);
    return answer.message.content ?? '';
  };

  before(async () => {
    infra = await servers();
    const cluster = { name: uniqueCluster('files') };
    nodes = ['f1', 'f2', 'f3'].map((id) => NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
    await startAll(nodes);
    clients = await Promise.all(nodes.map((node) => node.client()));
    await tailAll();
    for (const a of AGENTS) {
      const bytes = new Uint8Array(readFileSync(path.join(ROOT, 'examples', a.example, 'build', `${a.example}.wasm`)));
      await clients[0]!.deploy({ name: a.name }, bytes);
    }
  });
  after(async () => {
    for (const t of tails) t.cancel();
    await Promise.allSettled((nodes ?? []).map((node) => node.stop(15_000)));
    await infra?.stop();
  });

  for (const a of AGENTS) {
    it(`${a.example}: written through one node, read through another; a crash keeps the old file; the size limit; an escape`, async () => {
      assert.equal(await ask(a.name, 'write notes.txt kept', 0), 'ok');
      assert.equal(await ask(a.name, 'write deep/leaf.txt leaf', 1), 'ok');
      assert.equal(await ask(a.name, 'read notes.txt', 2), 'kept');
      assert.equal(await ask(a.name, 'ls ', 1), 'deep/,notes.txt');

      // A poison message: each attempt appends and crashes; it ends dead-lettered, the file as it was.
      await clients[1]!.send({
        structured: {
          performative: 'request',
          receivers: [{ name: a.name }],
          content: 'append-crash notes.txt +lost',
          conversationId: `crash-${a.name}`,
        },
      });
      await waitFor(
        `${a.name}'s crashing message dead-lettered`,
        async () => (await clients[0]!.listDeadLetters({ agent: a.name }).catch(() => [])).length === 1 || undefined,
        WAIT_MS,
      );
      assert.equal(await ask(a.name, 'read notes.txt', 0), 'kept', 'nothing of the crashed handlings was kept');

      assert.equal(await ask(a.name, `fill big.bin ${AGENT_FILE_LIMITS.maxFileBytes + 1}`, 2), a.tooLarge);
      assert.equal(await ask(a.name, 'rm big.bin', 2), 'ok');
      // Every escape attempt is refused (each language names the error its own way: runtime/test/files says which).
      const escapes = (await ask(a.name, 'escape', 0)).split(' ');
      assert.ok(escapes.length >= 5, escapes.join(' '));
      for (const attempt of escapes) assert.match(attempt, /^[a-z]+=error:\S+$/, escapes.join(' '));
    });
  }

  it('kill -9 of the node running the agents: each agent’s files are where it runs next', async () => {
    const where = await placement(clients[0]!);
    // The node running the Python agent (a node may run several of them).
    const victim = nodes.findIndex((node) => node.id === where.get('files-py'));
    assert.ok(victim >= 0, `files-py runs somewhere: ${[...where].join(' ')}`);
    const moved = AGENTS.filter((a) => where.get(a.name) === nodes[victim]!.id);
    await nodes[victim]!.kill();
    const survivor = [0, 1, 2].find((i) => i !== victim)!;
    for (const a of moved) {
      await waitFor(
        `${a.name} running on a survivor`,
        async () => {
          const now = (await placement(clients[survivor]!).catch(() => new Map<string, string>())).get(a.name);
          return now !== undefined && now !== nodes[victim]!.id ? now : undefined;
        },
        WAIT_MS,
      );
      assert.equal(await ask(a.name, 'read notes.txt', survivor), 'kept', `${a.name}'s file moved with it`);
      assert.equal(await ask(a.name, 'read deep/leaf.txt', survivor), 'leaf');
    }
  });
});
