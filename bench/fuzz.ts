/**
 * The long fuzz run (`npm run bench -- fuzz [cases]`, default 400 of each kind): wasm-smith agents
 * through deploy and calls under limits, and mutated real components through preparation, as in
 * sandbox/test/fuzz-sandbox.test.ts but with many more seeds (starting past the test's).
 * Prints how the cases ended, the rate, and the findings (cases the host did not contain: the
 * target is 0). A finding names its seed, so `CAXTON_FUZZ_FIRST=<seed>` replays it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, Sandbox } from '@caxton/sandbox';
import { report } from './lib-output.js';

interface FuzzModule {
  Smith: new (wasmTools: string, scratch: string) => { agentModule(seed: number): Promise<Uint8Array> };
  asAgentComponent(core: Uint8Array): Promise<Uint8Array>;
  runAgentCase(
    sandbox: Sandbox,
    name: string,
    component: Uint8Array,
  ): Promise<{ stage: string; outcome: string; code?: string; results?: string[] }>;
  prepareCase(
    engine: Engine,
    label: string,
    bytes: Uint8Array,
  ): Promise<{ stage: string; outcome: string; code?: string; results?: string[] }>;
  mutate(bytes: Uint8Array, seed: number, flips: number): Uint8Array;
  FuzzFinding: new (...args: never[]) => Error;
}
const fixtures = new URL('../../sandbox/dist/test/fixtures/', import.meta.url);
const fuzz = (await import(new URL('fuzz.js', fixtures).href)) as FuzzModule;
const catchers = (await import(new URL('fuel-catchers.js', fixtures).href)) as { fuelCatcherComponent(name: string): Promise<Uint8Array> };
const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as { installWasmTools(): Promise<string> };

const CASES = Number(process.argv[2] ?? 400);
const FIRST = Number(process.env['CAXTON_FUZZ_FIRST'] ?? 1_000);
const progress = (text: string): void => void process.stderr.write(`fuzz: ${text}\n`);
const fresh = (prefix: string): string => mkdtempSync(path.join(tmpdir(), prefix));

function keyOf(o: { stage: string; outcome: string; code?: string; results?: string[] }): string {
  return o.outcome === 'ran' ? `ran:${o.results?.join(',')}` : o.code ? `${o.stage}:${o.code}` : o.stage;
}

async function agents(): Promise<{ seen: Map<string, number>; findings: string[]; ms: number }> {
  const smith = new fuzz.Smith(await infra.installWasmTools(), fresh('caxton-fuzz-'));
  const sandbox = new Sandbox({ engine: new Engine({ cacheDir: fresh('caxton-fuzz-cache-') }), newId: () => 'id' });
  const seen = new Map<string, number>();
  const findings: string[] = [];
  const t0 = performance.now();
  for (let seed = FIRST; seed < FIRST + CASES; seed++) {
    let key: string;
    try {
      key = keyOf(await fuzz.runAgentCase(sandbox, `fuzz-${seed}`, await fuzz.asAgentComponent(await smith.agentModule(seed))));
    } catch (err) {
      if (err instanceof fuzz.FuzzFinding) findings.push(`seed ${seed}: ${(err as Error).message}`);
      key = err instanceof fuzz.FuzzFinding ? 'finding' : 'wrap:refused';
    }
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if ((seed - FIRST + 1) % 50 === 0) progress(`${seed - FIRST + 1}/${CASES} agents`);
  }
  return { seen, findings, ms: performance.now() - t0 };
}

async function mutations(): Promise<{ seen: Map<string, number>; findings: string[]; ms: number }> {
  const engine = new Engine({ cacheDir: fresh('caxton-fuzz-cache-') });
  const originals = [
    new Uint8Array(readFileSync(new URL('../../examples/as-echo/build/as-echo.wasm', import.meta.url))),
    await catchers.fuelCatcherComponent('loop-in-catch-all'),
  ];
  const seen = new Map<string, number>();
  const findings: string[] = [];
  const t0 = performance.now();
  for (let seed = FIRST; seed < FIRST + CASES; seed++) {
    let key: string;
    try {
      key = keyOf(
        await fuzz.prepareCase(engine, `mutation ${seed}`, fuzz.mutate(originals[seed % originals.length]!, seed, 1 + (seed % 8))),
      );
    } catch (err) {
      findings.push(`seed ${seed}: ${(err as Error).message}`);
      key = 'finding';
    }
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if ((seed - FIRST + 1) % 50 === 0) progress(`${seed - FIRST + 1}/${CASES} mutations`);
  }
  return { seen, findings, ms: performance.now() - t0 };
}

for (const [kind, run] of [
  ['agents', agents],
  ['mutations', mutations],
] as const) {
  const { seen, findings, ms } = await run();
  for (const f of findings) progress(`FINDING ${f}`);
  const outcomes = [...seen]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join('; ');
  report({
    bench: 'fuzz',
    metric: `${kind}_findings`,
    value: findings.length,
    unit: 'cases',
    target: '= 0',
    note: `${CASES} cases (seeds ${FIRST}-${FIRST + CASES - 1}): ${outcomes}`,
  });
  report({ bench: 'fuzz', metric: `${kind}_cases_per_s`, value: Number((CASES / (ms / 1000)).toFixed(1)), unit: 'cases/s' });
}
