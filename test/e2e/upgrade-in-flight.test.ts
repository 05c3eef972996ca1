/**
 * `caxton upgrade` while messages are in flight. Echo v1 answers `inform <content>`; v2 (the same
 * project, edited and rebuilt with `caxton build`) answers `inform v2:<content>`. A burst of
 * SendMessage calls keeps the mailbox busy while the CLI upgrades the agent, with `caxton send`
 * processes mixed in, and a background `caxton tail` records every reply. The claim under test is
 * the one `caxton upgrade --help` makes: no accepted message is lost — every acknowledged message
 * gets exactly one reply, from exactly one of the versions, and v1 stops before v2 starts.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/runtime';
import { caxton, show, spawnCaxton } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { copyExample, editFile } from './support/project.js';
import { startServe, tempDir, type Serve } from './support/serve.js';
import { Tail } from './support/tail.js';
import { sleep, until } from './support/wait.js';

/** Concurrent SendMessage loops (the CLI's own client) during the burst. */
const SENDERS = 4;
/** Messages acknowledged before the upgrade starts, and after it finished. */
const BEFORE = 200;
const AFTER = 200;

interface Acked {
  messageId: string;
  content: string;
  ackedAt: number;
}

describe('caxton upgrade with messages in flight', () => {
  let serve: Serve;
  let work: string;
  let v2Digest: string;

  before(async () => {
    serve = await startServe();
    work = await tempDir('caxton-e2e-upgrade-');
    await copyExample('as-echo', work, 'echo-v1');
    const v2 = await copyExample('as-echo', work, 'echo-v2');
    await editFile(path.join(v2, 'assembly', 'index.ts'), (src) =>
      src.replace(
        'reply(msg, Performative.Inform, msg.content);',
        'reply(msg, Performative.Inform, "v2:" + (msg.content !== null ? msg.content! : ""));',
      ),
    );
    const build = await caxton(['build', 'echo-v2', '--json'], { cwd: work });
    assert.equal(build.code, 0, show(build));
    v2Digest = (JSON.parse(build.stdout) as { sha256: string }).sha256;
    const deploy = await caxton(['deploy', 'echo-v1', '--name', 'echo', '--json', ...serve.conn], { cwd: work });
    assert.equal(deploy.code, 0, show(deploy));
    assert.notEqual((JSON.parse(deploy.stdout) as { artifactDigest: string }).artifactDigest, v2Digest, 'two different builds');
  });
  after(async () => {
    await stopStragglers();
    await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('answers every acknowledged message exactly once, from v1 or v2, across the swap', async (t) => {
    const client: CaxtonClient = await serve.client();
    const tail = new Tail(serve, ['--agent', 'operator', '--performative', 'inform'], true);
    await tail.ready(
      async (n) =>
        void (await client.send({
          structured: { performative: 'request', receivers: [{ name: 'echo' }], content: `probe-${n}`, conversationId: `probe-${n}` },
        })),
      (t, n) => t.events().some((e) => e.message.conversationId === `probe-${n}`),
    );

    const acked = new Map<string, Acked>(); // conversation id → what the node acknowledged
    const send = async (conversationId: string, content: string): Promise<void> => {
      const res = await client.send({
        structured: {
          performative: 'request',
          receivers: [{ name: 'echo' }],
          content,
          conversationId,
          replyWith: `rw-${conversationId}`,
        },
      });
      assert.deepEqual(res.accepted, ['echo'], `refused: ${JSON.stringify(res.refused)}`);
      acked.set(conversationId, { messageId: res.messageId, content, ackedAt: Date.now() });
    };

    let next = 0;
    let stopAt = Number.POSITIVE_INFINITY;
    const senders = Array.from({ length: SENDERS }, async () => {
      while (next < stopAt) {
        const i = next++;
        await send(`burst-${i}`, `m-${i}`);
      }
    });

    await until(() => acked.size >= BEFORE || undefined, `${BEFORE} acknowledged messages`);
    const upgradeStart = Date.now();
    const upgrade = spawnCaxton(['upgrade', 'echo', 'echo-v2', ...serve.conn], { cwd: work });
    // Users send with the CLI too while the upgrade runs.
    let cliSent = 0;
    for (let j = 0; upgrade.running; j++, cliSent++) {
      const r = await caxton([
        'send',
        'echo',
        'request',
        `cli-${j}`,
        '-c',
        `cli-${j}`,
        '--reply-with',
        `rw-cli-${j}`,
        '--json',
        ...serve.conn,
      ]);
      assert.equal(r.code, 0, show(r));
      const res = JSON.parse(r.stdout) as { messageId: string; accepted: string[] };
      assert.deepEqual(res.accepted, ['echo']);
      acked.set(`cli-${j}`, { messageId: res.messageId, content: `cli-${j}`, ackedAt: Date.now() });
    }
    const upgraded = await upgrade.done;
    const upgradeEnd = Date.now();
    stopAt = next + AFTER;
    await Promise.all(senders);
    assert.equal(upgraded.code, 0, show(upgraded));
    assert.match(upgraded.stdout, /^upgraded echo: version 1 -> 2$/m);

    const replyCount = (): number => tail.events().filter((e) => acked.has(e.message.conversationId ?? '')).length;
    await until(() => replyCount() >= acked.size || undefined, `replies to all ${acked.size} acknowledged messages`, 60_000);
    await sleep(1000); // room for a duplicate to show up, if there were one

    // Exactly one reply per acknowledged message, from one version or the other.
    const replies = new Map<string, { content: string; index: number }[]>();
    tail.events().forEach((e, index) => {
      const conv = e.message.conversationId ?? '';
      if (!acked.has(conv)) return;
      assert.equal(e.message.inReplyTo, `rw-${conv}`, 'the reply answers that request');
      replies.set(conv, [...(replies.get(conv) ?? []), { content: e.message.content ?? '', index }]);
    });
    let v1 = 0;
    let v2 = 0;
    let lastV1 = -1;
    let firstV2 = Number.POSITIVE_INFINITY;
    let waitedThroughSwap = 0;
    for (const [conv, a] of acked) {
      const got = replies.get(conv) ?? [];
      assert.equal(got.length, 1, `message ${a.messageId} (${conv}) got ${got.length} replies: ${JSON.stringify(got)}`);
      const { content, index } = got[0]!;
      if (content === a.content) {
        v1++;
        lastV1 = Math.max(lastV1, index);
      } else {
        assert.equal(content, `v2:${a.content}`, `reply to ${conv} is from neither version`);
        v2++;
        firstV2 = Math.min(firstV2, index);
        if (a.ackedAt < upgradeEnd) waitedThroughSwap++;
      }
    }
    // How many fall to v1 depends on the backlog when the swap starts; both must have answered.
    assert.ok(v1 > 0 && v2 >= AFTER, `v1 answered ${v1}, v2 answered ${v2}`);
    assert.ok(lastV1 < firstV2, 'v1 answered nothing after v2 started (drain, swap, resume)');
    assert.ok(waitedThroughSwap > 0, 'some messages accepted before the upgrade finished were answered by v2');
    const during = [...acked.values()].filter((a) => a.ackedAt >= upgradeStart && a.ackedAt <= upgradeEnd).length;
    assert.ok(during > 0, 'messages were accepted while the upgrade ran');

    const info = await until(async () => {
      const agent = await caxton(['agents', 'echo', '--json', ...serve.conn]);
      const a = JSON.parse(agent.stdout) as { version: number; artifactDigest: string; state: string; mailboxDepth: number };
      return a.mailboxDepth === 0 ? a : undefined;
    }, 'an empty mailbox once every reply was seen');
    assert.deepEqual(
      { version: info.version, digest: info.artifactDigest, state: info.state },
      { version: 2, digest: v2Digest, state: 'running' },
    );
    const logs = await caxton(['logs', 'echo', ...serve.conn]);
    assert.match(logs.stdout, new RegExp(`\\[caxton\\] upgraded to version 2 \\(${v2Digest.slice(0, 12)}\\)`));

    const stopped = await tail.stop();
    assert.equal(stopped.code, 0, show(stopped));
    t.diagnostic(
      `${acked.size} acknowledged (${cliSent} by caxton send), ${during} while the upgrade ran; v1 answered ${v1}, v2 ${v2}, ` +
        `${waitedThroughSwap} of them accepted before the upgrade returned`,
    );
  });
});
