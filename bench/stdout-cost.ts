/**
 * What a byte of guest stdout costs the host, against what fuel costs (`npm run bench -- stdout-cost`,
 * decision 1720). In-thread sandbox, jco path (QuickJS agents), no node around it:
 *  - compute: the hostile JavaScript infinite loop until its fuel runs out → ns of host time per
 *    fuel while the guest computes (what fuel is meant to stand for);
 *  - stdout: the flood probe writing 500 × 64 KiB without a newline → ns per byte written, and the
 *    fuel that flood was charged → ns per fuel while it floods.
 * The ratio stdout ns/fuel ÷ compute ns/fuel is how far stdout is under-charged (1 = fair).
 * Each figure is the median of ROUNDS runs, after a warm-up.
 */
import { Engine, Sandbox } from '@caxton/sandbox';

import { artifact } from './lib-artifacts.js';
import { messageWork } from './lib-message-work.js';
import { report } from './lib-output.js';

const ROUNDS = Number(process.env['CAXTON_BENCH_STDOUT_ROUNDS'] ?? 7);
const FLOOD_CHUNKS = 500;
const CHUNK_BYTES = 64 * 1024;
const LOOP_FUEL = 200_000_000;

interface Fixtures {
  jsProbe(name?: string): Promise<Uint8Array>;
  TEST_ENGINE_CACHE: string;
}
const fixtures = (): Promise<Fixtures> =>
  import(new URL('../../sandbox/dist/test/fixtures/build.js', import.meta.url).href) as Promise<Fixtures>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(sandbox: Sandbox, agent: string, content: string): { ms: number; fuel: number; status: string } {
  const t0 = performance.now();
  const r = sandbox.run(messageWork(agent, content));
  return { ms: performance.now() - t0, fuel: r.fuelUsed, status: r.status === 'crashed' ? r.kind : r.status };
}

async function main(): Promise<void> {
  const fx = await fixtures();
  let n = 0;
  const sandbox = new Sandbox({ engine: new Engine({ cacheDir: fx.TEST_ENGINE_CACHE }), newId: () => `id-${++n}` });
  await sandbox.deploy({
    name: 'loop@bench',
    artifact: (await artifact('hostile/js-infinite-loop')).bytes,
    limits: { fuelPerMessage: LOOP_FUEL, memoryPages: 160 },
    restartPolicy: { maxRestarts: 1000, windowMs: 60_000 },
  });
  // Fuel enough for the flood at any price this bench compares: it must finish, not run out.
  await sandbox.deploy({
    name: 'flood@bench',
    artifact: await fx.jsProbe('flood'),
    limits: { fuelPerMessage: 50_000_000_000, memoryPages: 160 },
  });

  timed(sandbox, 'loop@bench', 'spin');
  timed(sandbox, 'flood@bench', `flood:${FLOOD_CHUNKS}`);
  const loop: number[] = [];
  const flood: number[] = [];
  const floodMsPerRound: number[] = [];
  let floodFuel = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const l = timed(sandbox, 'loop@bench', 'spin');
    if (l.status !== 'out-of-fuel') throw new Error(`the loop ended ${l.status}, not out-of-fuel`);
    loop.push((l.ms * 1e6) / l.fuel);
    const f = timed(sandbox, 'flood@bench', `flood:${FLOOD_CHUNKS}`);
    if (f.status !== 'ok') throw new Error(`the flood ended ${f.status}`);
    flood.push((f.ms * 1e6) / f.fuel);
    floodFuel = f.fuel;
    floodMsPerRound.push(f.ms);
  }
  const bytes = FLOOD_CHUNKS * CHUNK_BYTES;
  const computeNsPerFuel = median(loop);
  const stdoutNsPerFuel = median(flood);
  const nsPerByte = (median(floodMsPerRound) * 1e6) / bytes;
  const machine = `in-thread sandbox, jco path, median of ${ROUNDS}`;
  report({
    bench: 'stdout-cost',
    metric: 'compute_ns_per_fuel',
    value: Number(computeNsPerFuel.toFixed(3)),
    unit: 'ns/fuel',
    note: `hostile js-infinite-loop to out-of-fuel at ${LOOP_FUEL} fuel; ${machine}`,
  });
  report({
    bench: 'stdout-cost',
    metric: 'stdout_ns_per_byte',
    value: Number(nsPerByte.toFixed(3)),
    unit: 'ns/byte',
    note: `${FLOOD_CHUNKS} × 64 KiB written without a newline (guest and host together)`,
  });
  report({
    bench: 'stdout-cost',
    metric: 'stdout_fuel_per_byte',
    value: Number((floodFuel / bytes).toFixed(3)),
    unit: 'fuel/byte',
    note: 'what the flood was charged, per byte written',
  });
  report({ bench: 'stdout-cost', metric: 'stdout_ns_per_fuel', value: Number(stdoutNsPerFuel.toFixed(3)), unit: 'ns/fuel', note: machine });
  report({
    bench: 'stdout-cost',
    metric: 'stdout_undercharge',
    value: Number((stdoutNsPerFuel / computeNsPerFuel).toFixed(2)),
    unit: 'x',
    target: '<= 1.5',
    note: 'host time per fuel flooding stdout ÷ while computing (1 = fuel means the same time)',
  });
}

await main();
