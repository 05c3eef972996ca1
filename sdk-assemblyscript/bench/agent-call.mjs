#!/usr/bin/env node
// Size, instantiation and time per handle() (through jco) of built agent components that answer
// a request by replying, e.g. the echo examples:
//   node sdk-assemblyscript/bench/agent-call.mjs examples/as-echo/build/as-echo.wasm examples/js-echo/build/js-echo.wasm
import { statSync } from 'node:fs';
import { loadForBench, echoMessage, median } from './lib.mjs';

const rows = [];
for (const file of process.argv.slice(2)) {
  const agent = await loadForBench(file);
  await agent.instantiate();
  const inst = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await agent.instantiate();
    inst.push(performance.now() - s);
  }
  const { guest, sent } = await agent.instantiate();
  guest.init({ self: { name: 'echo@bench', addresses: [] }, config: [] });
  const msg = echoMessage('x'.repeat(100));
  for (let i = 0; i < 500; i++) guest.handle(msg);
  const times = [];
  for (let i = 0; i < 5000; i++) {
    const s = performance.now();
    guest.handle(msg);
    times.push(performance.now() - s);
  }
  if (sent.length !== 5500) throw new Error(`${file} did not answer every message`);
  rows.push({ file, bytes: statSync(file).size, instantiateMsP50: +median(inst).toFixed(2), handleUsP50: +(median(times) * 1000).toFixed(1) });
}
console.log(JSON.stringify(rows, null, 2));
