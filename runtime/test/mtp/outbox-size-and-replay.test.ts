/**
 * The MTP outbox's review findings 8 and 9 (review of mtpoutbox, decision 1910 "Outbox size"), on
 * the sender itself with the memory log as its state store (a real AgentStateStore; a wrapper only
 * counts commits, or fails the removals a test needs to fail):
 * - a send whose outbox records exceed one state commit is refused `mtp.outbox-too-large` before
 *   anything is committed or posted;
 * - a record the replay cannot read is a typed error, and a failed removal of it does not stop the
 *   replay of the agent's other records.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CaxtonError, STATE_COMMIT_MAX_BYTES, stateCommitBytes, type AclMessage, type StateWrite } from '@caxton/core';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { MtpPeerTable, MtpSender, mtpFailureId, parseMtpPeers, type MtpFailureKind } from '../../src/mtp/index.js';
import {
  encodeMtpOutboxRecord,
  isMtpOutboxKey,
  mtpOutboxKey,
  MtpOutboxRecordError,
  parseMtpOutboxRecord,
} from '../../src/mtp/outbox-records.js';
import type { AgentStateStore } from '../../src/storage/ports.js';

const table = (platforms: string[]): MtpPeerTable =>
  new MtpPeerTable(
    parseMtpPeers(
      JSON.stringify({
        peers: platforms.map((platform, i) => ({
          platform,
          secret: randomBytes(24).toString('hex'),
          acc: `http://127.0.0.1:${9 + i}/acc`,
        })),
      }),
      'caxton',
    ),
  );

/** The memory log's state, counting commits; removals (null writes) fail while `failRemovals`. */
function countingState(): { state: AgentStateStore; log: MemoryMessageLog; commits: StateWrite[][]; failRemovals: boolean } {
  const log = new MemoryMessageLog();
  const box = { log, commits: [] as StateWrite[][], failRemovals: false, state: undefined as unknown as AgentStateStore };
  box.state = {
    readState: (agent) => log.readState(agent),
    clearState: (agent) => log.clearState(agent),
    commitState: async (agent, writes) => {
      box.commits.push([...writes]);
      if (box.failRemovals && writes.some((w) => w.value === null)) throw new Error('state store unavailable');
      return log.commitState(agent, writes);
    },
  };
  return box;
}

interface Failure {
  reason: string;
  kind: MtpFailureKind;
  id: string;
}

test('a send whose outbox records would not fit one state commit is refused mtp.outbox-too-large: nothing committed, nothing posted (finding 8)', async () => {
  const store = countingState();
  const failures: Failure[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: table(['far', 'near', 'other']),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: store.state,
    fail: async (_original, reason, kind, id) => {
      failures.push({ reason, kind, id });
    },
    log: () => {},
  });
  // Quotes are escaped twice (the ACL JSON inside the record's JSON): each record is ~4× the content.
  const content = '"'.repeat(900 * 1024);
  const receivers = [{ name: 'a@far' }, { name: 'b@near' }, { name: 'c@other' }];
  const message: AclMessage = { performative: 'inform', sender: { name: 'asker@caxton' }, receivers, content };
  const oneRecord = encodeMtpOutboxRecord({
    messageId: 'm-1',
    agent: 'asker',
    url: 'http://127.0.0.1:9/acc',
    platform: 'far',
    receivers: [receivers[0]!],
    message,
    at: 0,
  });
  assert.ok(stateCommitBytes('asker', [oneRecord]) < STATE_COMMIT_MAX_BYTES, 'one record alone fits');
  assert.ok(3 * stateCommitBytes('asker', [oneRecord]) > STATE_COMMIT_MAX_BYTES, 'three do not');

  await sender.forward({ messageId: 'm-1', message, receivers, agent: 'asker' });
  assert.equal(store.commits.length, 0, 'nothing committed');
  assert.equal(sender.unsettled, 0, 'no post taken (no slot kept)');
  assert.deepEqual(
    failures.map((f) => f.kind),
    ['mtp.outbox-too-large'],
  );
  assert.match(failures[0]!.reason, /^mtp\.outbox-too-large: .*a@far, b@near, c@other not reached/);
  assert.equal(failures[0]!.id, mtpFailureId('asker', 'm-1', 'mtp.outbox-too-large', ''));
  // The same send again (its handling re-run): the same failure id, which the log de-duplicates.
  await sender.forward({ messageId: 'm-1', message, receivers, agent: 'asker' });
  assert.equal(failures[1]!.id, failures[0]!.id);
  assert.equal(store.commits.length, 0);

  // The same message to one peer ACC fits: committed and taken.
  await sender.forward({
    messageId: 'm-2',
    message: { ...message, receivers: [receivers[0]!] },
    receivers: [receivers[0]!],
    agent: 'asker',
  });
  assert.equal(store.commits.length, 1);
  assert.equal(sender.unsettled, 1);
  assert.equal(failures.length, 2);
  await sender.close();
});

test('an unreadable outbox record is a typed error (mtp.outbox-record-invalid, with a hint) (finding 9)', () => {
  const err = (() => {
    try {
      parseMtpOutboxRecord('{not json');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof MtpOutboxRecordError);
  assert.ok(err instanceof CaxtonError);
  assert.equal(err.code, 'mtp.outbox-record-invalid');
  assert.equal(err.kind, 'data-loss');
  assert.ok((err.hint ?? '').length > 0);
  assert.match(err.message, /not JSON/);
});

test("a replay whose removal of a bad record fails logs it and goes on with the agent's other records (finding 9)", async () => {
  const store = countingState();
  const logged: string[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: table(['far']),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: store.state,
    fail: async () => {},
    log: (_agent, _level, line) => {
      logged.push(line);
    },
  });
  const receivers = [{ name: 'pong@far' }];
  const good = encodeMtpOutboxRecord({
    messageId: 'm-good',
    agent: 'asker',
    url: 'http://127.0.0.1:9/acc',
    platform: 'far',
    receivers,
    message: { performative: 'request', sender: { name: 'asker@caxton' }, receivers, content: 'hi' },
    at: 0,
  });
  // Written first, so the replay meets the bad ones before the good one; the second is another agent's.
  const foreign = encodeMtpOutboxRecord({
    messageId: 'm-foreign',
    agent: 'someone',
    url: 'http://127.0.0.1:9/acc',
    platform: 'far',
    receivers,
    message: { performative: 'request', sender: { name: 'someone@caxton' }, receivers, content: 'hi' },
    at: 0,
  });
  await store.log.commitState('asker', [{ key: mtpOutboxKey('m-bad', 'http://127.0.0.1:9/acc'), value: '{not json' }, foreign, good]);
  store.failRemovals = true;

  assert.equal(await sender.recover('asker'), 1, 'the good record is taken despite the failed removals');
  assert.equal(sender.unsettled, 1);
  assert.equal(logged.filter((l) => /could not be removed/.test(l)).length, 2, 'each failed removal logged');
  assert.ok(logged.some((l) => /could not be read and is removed: not JSON/.test(l)));
  // The bad records stay (not posted), met again at the next activation.
  assert.equal([...(await store.log.readState('asker')).keys()].filter(isMtpOutboxKey).length, 3);
  await sender.close();
});
