/**
 * What an idle examples/as-echo holds in its linear memory (issue 25, decision 2113). Each 4 KiB
 * page an instance writes is a page of RSS per idle agent and a page fault while it starts; the
 * page count is deterministic (the same module and init context write the same bytes), so this is
 * a bound on the layout, not a timed test. Skipped when the example is not built in this checkout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_LIMIT_TABLE } from '@caxton/core';
import { echoWork } from './fixtures/echo-work.js';
import { example } from './fixtures/build.js';
import { testSandbox } from './helpers.js';
import type { Sandbox } from '../src/sandbox.js';

const OS_PAGE = 4096;

/**
 * Pages of an idle echo that hold data: 5 since decision 2113 — the static data (2), the
 * allocator's root with the first objects and the SDK arena's first chunk (1), the allocator's
 * tail at the memory's end (1) and the page the root crosses into (1). With a 4 KiB first arena
 * chunk the first objects landed one page further: 6.
 */
const IDLE_PAGES_BOUND = 5;

/** Deploys the agent and returns the memory its instance was given (the host creates it). */
async function deployCapturingMemory(sandbox: Sandbox, name: string, bytes: Uint8Array): Promise<WebAssembly.Memory> {
  const created: WebAssembly.Memory[] = [];
  const Original = WebAssembly.Memory;
  WebAssembly.Memory = class extends Original {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      super(descriptor);
      created.push(this);
    }
  };
  try {
    await sandbox.deploy({ name, artifact: bytes, limits: { sendsPerSecond: AGENT_LIMIT_TABLE.sendsPerSecond.ceiling } });
  } finally {
    WebAssembly.Memory = Original;
  }
  assert.equal(created.length, 1, 'one memory for the one instance');
  return created[0]!;
}

function pagesWithData(memory: WebAssembly.Memory): number {
  const bytes = new Uint8Array(memory.buffer);
  let pages = 0;
  for (let at = 0; at < bytes.length; at += OS_PAGE) if (bytes.subarray(at, at + OS_PAGE).some((b) => b !== 0)) pages++;
  return pages;
}

describe('as-echo idle memory (skipped when not built)', () => {
  const bytes = example('as-echo/build/as-echo.wasm');
  const skip = bytes === null ? 'examples/as-echo is not built' : false;

  it(`writes at most ${IDLE_PAGES_BOUND} pages of 4 KiB before its first message`, { skip }, async () => {
    const memory = await deployCapturingMemory(testSandbox(), 'idle-pages@test', bytes!);
    const pages = pagesWithData(memory);
    assert.ok(pages <= IDLE_PAGES_BOUND, `an idle as-echo holds data in ${pages} pages of 4 KiB`);
  });

  it("echoes contents larger than the arena's first chunk, before and after it grows", { skip }, async () => {
    const sandbox = testSandbox();
    await deployCapturingMemory(sandbox, 'big-echo@test', bytes!);
    const big = 'x'.repeat(3_000);
    const huge = 'y'.repeat(8_000);
    for (let i = 0; i < 60; i++) {
      const content = i % 3 === 0 ? big : i % 3 === 1 ? 'hello' : huge;
      const r = sandbox.run(echoWork('big-echo@test', i, content));
      assert.equal(r.status, 'ok', `handling ${i}: ${JSON.stringify(r).slice(0, 300)}`);
      assert.equal(r.outbox.length, 1);
      assert.equal(r.outbox[0]!.content, content, `handling ${i} echoed other content`);
    }
  });
});
