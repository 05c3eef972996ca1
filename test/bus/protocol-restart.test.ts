/**
 * Protocol state survives a restart: a reply in a conversation opened before the node stopped is
 * delivered afterwards, not refused as belonging to an unknown conversation. And an agent whose
 * init sends is restored: the log is open before agents start again. (The tracker's
 * snapshot is saved at shutdown and a moment after every change; see node/tracker-persistence.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { TestNode } from './support/test-node.js';

test('a reply to a conversation opened before a restart is delivered after it', async () => {
  const first = await TestNode.start();
  const dataDir = first.dataDir;
  try {
    await first.deploy('alice', 'conformance/puppet');
    await first.deploy('bob', 'conformance/puppet');
    const cid = 'across-restart';
    await first.puppet('alice', {
      performative: 'request',
      to: 'bob',
      protocol: 'fipa-request',
      'conversation-id': cid,
      'reply-with': 'ar-q',
      content: 'work',
    });
    await first.waitFor('bob to get the request', () => first.logs('bob').some((l) => l.includes(`cid=${cid}`)));
    await first.settle();
    await first.stop();

    const second = await TestNode.start({ dataDir });
    try {
      await second.puppet('bob', {
        performative: 'inform',
        to: 'alice',
        protocol: 'fipa-request',
        'conversation-id': cid,
        'in-reply-to': 'ar-q',
        content: 'done after restart',
      });
      await second.waitFor('alice to get the inform', () =>
        second.logs('alice').some((l) => l.includes(`cid=${cid}`) && l.includes('content=done after restart')),
      );
      await second.settle();
      const refusals = second.accepted.filter((a) => a.message.performative === 'not-understood' && a.message.conversationId === cid);
      assert.deepEqual(refusals, [], 'no not-understood: the conversation was known after the restart');
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an agent whose init sends a message starts again after a restart, and both hellos arrive', async () => {
  const first = await TestNode.start();
  const dataDir = first.dataDir;
  try {
    await first.deploy('listener', 'conformance/puppet');
    await first.deploy('greeter', 'conformance/puppet', { 'hello-to': 'listener' });
    await first.waitFor('the first hello', () => first.logs('listener').some((l) => l.includes('content=hello from init')));
    await first.settle();
    await first.stop();

    const second = await TestNode.start({ dataDir });
    try {
      await second.waitFor('the hello after the restart', () => second.logs('listener').some((l) => l.includes('content=hello from init')));
      const greeter = await second.control.getAgent('greeter');
      assert.equal(greeter?.state, 'running', `greeter restarted (${JSON.stringify(greeter?.lastError)})`);
    } finally {
      await second.stop();
    }
  } finally {
    await first.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
