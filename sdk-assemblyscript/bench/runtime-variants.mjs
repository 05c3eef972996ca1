#!/usr/bin/env node
// Measures the AssemblyScript runtime variants for agents (docs/decisions/0501): builds the same
// echo agent with `--runtime minimal` (SDK collects after every call) and `--runtime incremental`,
// then reports component size, instantiation time, time per handle() through jco, and linear
// memory after many calls (a leak shows up as growth).
//   node sdk-assemblyscript/bench/runtime-variants.mjs   (after `npx tsc -b runtime`)
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadForBench, echoMessage, median } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { buildAgent } = await import(path.join(root, 'runtime/dist/src/build/index.js'));

const CALLS = 20_000;
// The echo agent, and the same agent holding a live heap of `LIVE` strings: the minimal runtime's
// full collection after every call costs time proportional to the live heap.
const LIVE = 20_000;
const HEAVY = readFileSync(path.join(root, 'examples/as-echo/assembly/index.ts'), 'utf8').replace(
  'class Echo extends Agent {',
  `const live: string[] = [];\nfor (let i = 0; i < ${LIVE}; i++) live.push("entry " + i.toString());\nclass Echo extends Agent {`,
);
// And one that makes ~100 KiB of garbage per call (many short-lived strings).
const GARBAGE = readFileSync(path.join(root, 'examples/as-echo/assembly/index.ts'), 'utf8').replace(
  'reply(msg, Performative.Inform, msg.content);',
  'let s = ""; for (let i = 0; i < 500; i++) s = "chunk " + i.toString() + " of " + (msg.content !== null ? msg.content! : "");\n    reply(msg, Performative.Inform, s);',
);
const results = [];
for (const [runtime, heap] of [
  ['minimal', 'small'], ['incremental', 'small'], ['minimal', 'live'], ['incremental', 'live'], ['minimal', 'garbage'], ['incremental', 'garbage'],
]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `caxton-as-${runtime}-`));
  cpSync(path.join(root, 'examples/as-echo/assembly'), path.join(dir, 'assembly'), { recursive: true });
  if (heap === 'live') writeFileSync(path.join(dir, 'assembly/index.ts'), HEAVY);
  if (heap === 'garbage') writeFileSync(path.join(dir, 'assembly/index.ts'), GARBAGE);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `echo-${runtime}`, caxton: { language: 'assemblyscript', runtime } }));
  const built = await buildAgent(dir);
  const agent = await loadForBench(built.artifactPath);

  const inst = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await agent.instantiate();
    inst.push(performance.now() - t0);
  }
  const { guest, memory, sent } = await agent.instantiate();
  guest.init({ self: { name: 'echo@bench', addresses: [] }, config: [] });
  const msg = echoMessage('x'.repeat(100));
  for (let i = 0; i < 2000; i++) guest.handle(msg); // warm up
  const memAfterWarmup = memory().buffer.byteLength;
  const times = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    guest.handle(msg);
    times.push(performance.now() - t0);
  }
  sent.length = 0;
  results.push({
    runtime,
    agent: { small: 'echo', live: `echo holding ${LIVE} live strings`, garbage: 'echo making ~100 KiB garbage per call' }[heap],
    componentBytes: built.bytes,
    instantiateMsP50: +median(inst).toFixed(3),
    handleUsP50: +(median(times) * 1000).toFixed(2),
    memoryKiBAfterWarmup: memAfterWarmup / 1024,
    memoryKiBAfterCalls: memory().buffer.byteLength / 1024,
    calls: CALLS + 2000,
  });
}
console.log(JSON.stringify(results, null, 2));
