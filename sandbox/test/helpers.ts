/** Shared helpers for the sandbox tests. */
import type { AclMessage } from '@caxton/core';
import { Engine } from '../src/engine.js';
import type { Work } from '../src/results.js';
import { Sandbox } from '../src/sandbox.js';
import { TEST_ENGINE_CACHE } from './fixtures/build.js';

export function testEngine(cacheDir = TEST_ENGINE_CACHE): Engine {
  return new Engine({ cacheDir });
}

export function testSandbox(engine = testEngine()): Sandbox {
  let n = 0;
  return new Sandbox({ engine, newId: () => `id-${++n}` });
}

export function message(to: string, content: string, extra: Partial<AclMessage> = {}): AclMessage {
  return {
    performative: 'request',
    sender: { name: 'tester@test' },
    receivers: [{ name: to }],
    content,
    conversationId: 'conv-1',
    replyWith: 'rw-1',
    ...extra,
  };
}

let seq = 0;
export function work(agent: string, content: string, extra: Partial<AclMessage> = {}): Work {
  seq++;
  return {
    kind: 'message',
    agent,
    delivery: { id: `d-${seq}`, messageId: `m-${seq}`, receiver: agent, message: message(agent, content, extra), acceptedAt: Date.now() },
  };
}

export function timer(agent: string, token: string): Work {
  seq++;
  return { kind: 'timer', id: `t-${seq}`, agent, token };
}
