/**
 * Fuzzing under limits (a bounded number of seeds here; `npm run bench -- fuzz` runs many more):
 * wasm-smith agents go through preparation and calls, and mutated real components go through
 * preparation. Every case must end in a typed refusal or a contained result (fixtures/fuzz.ts);
 * the suite also checks the cases really reach every stage, so it cannot pass by refusing all.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { Engine } from '../src/engine.js';
import { Sandbox } from '../src/sandbox.js';
import { REPO } from './fixtures/build.js';
import { fuelCatcherComponent } from './fixtures/fuel-catchers.js';
import { tempDirRemovedAtExit } from './fixtures/temp-dir.js';
import { Smith, asAgentComponent, mutate, prepareCase, runAgentCase, type CaseOutcome } from './fixtures/fuzz.js';

interface InfraModule {
  installWasmTools(): Promise<string>;
}
const infra = (): Promise<InfraModule> => import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<InfraModule>;

const AGENT_CASES = Number(process.env['CAXTON_FUZZ_CASES'] ?? 24);
const MUTATION_CASES = Number(process.env['CAXTON_FUZZ_CASES'] ?? 24);

function tally(outcomes: CaseOutcome[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.outcome === 'ran' ? `ran:${o.results.join(',')}` : 'code' in o ? `${o.stage}:${o.code}` : o.stage;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe('fuzzing the sandbox (wasm-smith agents, mutated components)', { timeout: 600_000 }, () => {
  let smith: Smith;
  before(async () => {
    smith = new Smith(await (await infra()).installWasmTools(), tempDirRemovedAtExit('caxton-fuzz-'));
  });

  it(`${AGENT_CASES} generated agents: each is refused with a typed error or runs contained, within its fuel`, async () => {
    const sandbox = new Sandbox({ engine: new Engine({ cacheDir: tempDirRemovedAtExit('caxton-fuzz-cache-') }), newId: () => 'id' });
    const outcomes: CaseOutcome[] = [];
    for (let seed = 1; seed <= AGENT_CASES; seed++) {
      let component: Uint8Array;
      try {
        component = await asAgentComponent(await smith.agentModule(seed));
      } catch {
        outcomes.push({ stage: 'wrap', outcome: 'refused' });
        continue;
      }
      outcomes.push(await runAgentCase(sandbox, `fuzz-${seed}`, component)); // throws FuzzFinding on anything uncontained
    }
    const seen = tally(outcomes);
    const stages = new Set(outcomes.map((o) => o.stage));
    assert.ok(
      stages.has('deploy') && stages.has('run'),
      `the cases reach instantiation and calls, not just refusals: ${JSON.stringify([...seen])}`,
    );
  });

  it(`${MUTATION_CASES} mutated real components: each is prepared or refused with a typed error`, async () => {
    const engine = new Engine({ cacheDir: tempDirRemovedAtExit('caxton-fuzz-cache-') });
    const originals = [
      new Uint8Array(readFileSync(path.join(REPO, 'examples', 'as-echo', 'build', 'as-echo.wasm'))),
      await fuelCatcherComponent('loop-in-catch-all'),
    ];
    const outcomes: CaseOutcome[] = [];
    for (let seed = 1; seed <= MUTATION_CASES; seed++) {
      const original = originals[seed % originals.length]!;
      outcomes.push(await prepareCase(engine, `mutation ${seed}`, mutate(original, seed, 1 + (seed % 8))));
    }
    const seen = tally(outcomes);
    assert.ok(
      [...seen.keys()].some((k) => k.startsWith('prepare:')),
      `some mutations are refused: ${JSON.stringify([...seen])}`,
    );
  });
});
