#!/usr/bin/env node
// QuickJS (componentize-qjs) vs StarlingMonkey (componentize-js) for the same echo agent, without
// WASI in either (docs/decisions/0502): build time, component size, instantiation, RSS per
// instance and time per handle() through jco.
//   node sdk-js/bench/js-backends.mjs   (run with --expose-gc for steadier RSS figures)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadForBench, echoMessage, median } from '../../sdk-assemblyscript/bench/lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const witPath = path.join(root, 'wit/agent.wit');
const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-js-backends-'));

// The same handler for both; only the import shape differs (default object vs named exports).
const body = (send) => `
let n = 0;
export const guest = {
  init(ctx) {},
  handle(msg) {
    n++;
    ${send}({ ...msg, sender: null, receivers: msg.sender ? [msg.sender] : [], performative: 'inform', inReplyTo: msg.replyWith ?? null });
  },
  onTimer(token) {},
};`;
writeFileSync(path.join(dir, 'qjs.js'), `import host from 'caxton:agent/host@0.1.0';\n${body('host.send')}`);
writeFileSync(path.join(dir, 'sm.js'), `import { send } from 'caxton:agent/host@0.1.0';\n${body('send')}`);

async function buildQjs() {
  const { componentize } = await import('componentize-qjs');
  const src = path.join(dir, 'qjs.js');
  const { component } = await componentize({ witPath, jsSource: readFileSync(src, 'utf8'), jsPath: src, moduleRoot: dir, world: 'agent', sync: true, stubWasi: true });
  return component;
}
async function buildSm() {
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({
    sourcePath: path.join(dir, 'sm.js'), witPath, worldName: 'agent',
    disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
  });
  return component;
}

const gc = globalThis.gc ?? (() => {});
const rows = [];
for (const [name, build] of [['quickjs (componentize-qjs 0.4.5, sync)', buildQjs], ['starlingmonkey (componentize-js 0.22)', buildSm]]) {
  const t0 = performance.now();
  const component = await build();
  const buildMs = performance.now() - t0;
  const file = path.join(dir, `${name.split(' ')[0]}.wasm`);
  writeFileSync(file, component);
  const agent = await loadForBench(file);
  await agent.instantiate(); // compile caches warm

  const inst = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await agent.instantiate();
    inst.push(performance.now() - s);
  }
  gc();
  const rss0 = process.memoryUsage().rss;
  const keep = [];
  for (let i = 0; i < 40; i++) keep.push(await agent.instantiate());
  gc();
  const rssPerInstance = (process.memoryUsage().rss - rss0) / keep.length;

  const { guest, sent } = keep[0];
  guest.init({ self: { name: 'echo@bench', addresses: [] }, config: [] });
  const msg = echoMessage('x'.repeat(100));
  for (let i = 0; i < 300; i++) guest.handle(msg);
  const times = [];
  for (let i = 0; i < 3000; i++) {
    const s = performance.now();
    guest.handle(msg);
    times.push(performance.now() - s);
  }
  if (sent.length !== 3300 || sent[0].content !== msg.content) throw new Error(`${name}: echo did not echo`);
  rows.push({
    backend: name,
    buildMs: Math.round(buildMs),
    componentBytes: component.length,
    instantiateMsP50: +median(inst).toFixed(2),
    rssMiBPerInstance: +(rssPerInstance / 2 ** 20).toFixed(2),
    handleUsP50: +(median(times) * 1000).toFixed(1),
  });
}
console.log(JSON.stringify(rows, null, 2));
