// Loading a built agent component for measurements: jco transpile once, then cheap instances whose
// core memory is reachable (via jco's instantiateCore hook) and whose host functions record little.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-extended-const'); // QuickJS components need it on Node 20

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function echoMessage(content) {
  return {
    performative: 'request', sender: { name: 'bench@p', addresses: [] }, receivers: [{ name: 'echo@bench', addresses: [] }],
    replyTo: [], content, conversationId: 'c1', replyWith: 'r1', protocol: 'fipa-request', userParams: [],
  };
}

export async function loadForBench(wasmPath) {
  const { transpile } = await import('@bytecodealliance/jco');
  const bytes = readFileSync(wasmPath);
  // One per component's bytes, kept (a known cache to scripts/test-run/temp-leftovers.mjs).
  const dir = path.join(os.tmpdir(), `caxton-bench-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`);
  const out = await transpile(bytes, { name: 'agent', instantiation: 'async', noTypescript: true, quiet: true });
  for (const [f, b] of Object.entries(out.files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), b);
  }
  const mod = await import(pathToFileURL(path.join(dir, 'agent.js')).href);
  const modules = new Map();
  for (const f of Object.keys(out.files).filter((f) => f.endsWith('.wasm'))) {
    modules.set(f, await WebAssembly.compile(readFileSync(path.join(dir, f))));
  }
  return {
    async instantiate() {
      const sent = [];
      let memory;
      const host = {
        send: (m) => { sent.push(m); },
        log: () => {},
        now: () => BigInt(Date.now()),
        newId: () => 'id',
        setTimer: () => {},
        registerService: () => {},
        deregisterService: () => {},
        searchServices: () => [],
      };
      const inst = await mod.instantiate((p) => modules.get(p), { 'caxton:agent/host': host }, (m, imports) => {
        const i = new WebAssembly.Instance(m, imports);
        if (i.exports.memory && !memory) memory = i.exports.memory; // the first memory is the guest's
        return i;
      });
      return { guest: inst.guest, sent, memory: () => memory };
    },
  };
}
