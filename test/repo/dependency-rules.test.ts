/**
 * The dependency rule (docs/architecture.md, written down in .dependency-cruiser.cjs) is checked by
 * dependency-cruiser on every `npm test`: a package that reaches into another's internals, a layer
 * that reaches up (the bus into the node, the sandbox into the runtime), I/O in core or a socket in
 * the sandbox, or an import cycle (between modules or between folders, type-only imports included:
 * docs/decisions/1702-no-import-cycles.md) fails the suite with the rule, the file and the import.
 * The second test proves the rules bite: a small tree of offending files in a temporary directory
 * must be refused by name.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to test/dist/repo/, three levels below the repository root.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = path.join(root, '.dependency-cruiser.cjs');
const SOURCES = ['core/src', 'client/src', 'sandbox/src', 'toolchain/src', 'runtime/src', 'cli/src', 'console/src'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Cruises `dirs` under `cwd` with the repository's rules; returns the violations. */
function cruise(cwd: string, dirs: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [depcruise, '--config', config, '--output-type', 'json', ...dirs], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // depcruise exits non-zero when it finds violations; its JSON report is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
    if (out === '') throw err;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('the dependency rule', () => {
  it('holds for every package: no deep imports, no layer reaching around another', { timeout: 120_000 }, () => {
    const violations = cruise(root, SOURCES).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    assert.deepEqual(
      violations,
      [],
      `fix the import or move the code; the rules and why are in .dependency-cruiser.cjs:\n${violations.join('\n')}`,
    );
  });

  it('bites: each kind of offending import in a scratch tree is refused by its rule', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'caxton-deprules-'));
    try {
      copyFileSync(path.join(root, 'tsconfig.base.json'), path.join(dir, 'tsconfig.base.json'));
      const file = (rel: string, text: string): void => {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      };
      file('runtime/src/node/node.ts', 'export const node = 1;\n');
      file('runtime/src/bus/bus.ts', "import { node } from '../node/node.js';\nexport const bus = node;\n");
      file('runtime/src/index.ts', "export { bus } from './bus/bus.js';\n");
      file('runtime/src/api/errors.ts', 'export class NotFound extends Error {}\n');
      file('runtime/src/node/lifecycle.ts', "import { NotFound } from '../api/errors.js';\nexport const e = NotFound;\n");
      file('core/src/index.ts', "import { readFileSync } from 'node:fs';\nexport const core = readFileSync;\n");
      file(
        'sandbox/src/index.ts',
        "import { connect } from 'node:net';\nimport { bus } from '../../runtime/src/bus/bus.js';\nexport const s = [connect, bus];\n",
      );
      file('cli/src/main.ts', "import { node } from '../../runtime/src/node/node.js';\nexport const m = node;\n");
      // A subpath entry runtime/package.json exports (offline) may be reached; one it does not, not.
      file('runtime/src/offline/public.ts', 'export const offline = 1;\n');
      file('runtime/src/node/public.ts', 'export const hidden = 1;\n');
      file('cli/src/offline-use.ts', "import { offline } from '../../runtime/src/offline/public.js';\nexport const o = offline;\n");
      file('cli/src/undeclared-use.ts', "import { hidden } from '../../runtime/src/node/public.js';\nexport const h = hidden;\n");
      file(
        'console/src/main.tsx',
        "import { readFileSync } from 'node:fs';\nimport { bus } from '../../runtime/src/bus/bus.js';\nexport const c = [readFileSync, bus];\n",
      );
      // The bus reaches the message log through its port only; an engine reaches nothing above it but
      // rendezvous hashing, and only the cluster topology loads the Kafka engine.
      file('runtime/src/log/message-log.ts', 'export interface MessageLog { append(): void }\n');
      file('runtime/src/log/embedded/embedded-log.ts', 'export const embeddedLog = 1;\n');
      file('runtime/src/bus/dispatch-loop.ts', "import type { MessageLog } from '../log/message-log.js';\nexport type Log = MessageLog;\n");
      file('runtime/src/bus/applier.ts', "import { embeddedLog } from '../log/embedded/embedded-log.js';\nexport const a = embeddedLog;\n");
      file('runtime/src/placement/rendezvous.ts', 'export const rendezvous = 1;\n');
      file(
        'runtime/src/log/kafka/partitioner.ts',
        "import { rendezvous } from '../../placement/rendezvous.js';\nexport const p = rendezvous;\n",
      );
      file('runtime/src/log/memory/memory-log.ts', "import { bus } from '../../bus/bus.js';\nexport const m = bus;\n");
      file('runtime/src/start/start-node.ts', "import { p } from '../log/kafka/partitioner.js';\nexport const s = p;\n");
      // A cycle of type-only imports between two folders (storage ↔ registry, as it was before decision 1702)…
      file(
        'runtime/src/storage/ports.ts',
        "import type { AgentRecord } from '../registry/registry-store.js';\nexport interface AgentStore { putAgent(agent: AgentRecord): void }\n",
      );
      file(
        'runtime/src/registry/registry-store.ts',
        "import type { AgentStore } from '../storage/ports.js';\nexport interface AgentRecord { name: string }\nexport type RegistryStore = AgentStore;\n",
      );
      // …and one between folders only, through different files (telemetry → node → telemetry).
      file('runtime/src/telemetry/meters.ts', 'export const meter = 1;\n');
      file(
        'runtime/src/telemetry/node-metrics.ts',
        "import type { AgentRunSample } from '../node/agent-host.js';\nexport type Sample = AgentRunSample;\n",
      );
      file(
        'runtime/src/node/agent-host.ts',
        "import { meter } from '../telemetry/meters.js';\nexport interface AgentRunSample { pages: typeof meter }\n",
      );
      const found = new Set(
        cruise(dir, ['core/src', 'sandbox/src', 'runtime/src', 'cli/src', 'console/src']).map((v) => `${v.rule.name} ${v.from}`),
      );
      for (const expected of [
        'bus-knows-nothing-above-it runtime/src/bus/bus.ts',
        'the-bus-reaches-the-log-through-its-port runtime/src/bus/applier.ts',
        'the-log-knows-nothing-above-it runtime/src/log/memory/memory-log.ts',
        'only-the-cluster-topology-knows-kafka-and-etcd runtime/src/start/start-node.ts',
        'the-domain-does-not-reach-into-the-api runtime/src/node/lifecycle.ts',
        'core-is-pure core/src/index.ts',
        'sandbox-has-no-network sandbox/src/index.ts',
        'sandbox-below-the-runtime sandbox/src/index.ts',
        'no-deep-imports-across-packages sandbox/src/index.ts',
        'no-deep-imports-across-packages cli/src/main.ts',
        'no-deep-imports-across-packages cli/src/undeclared-use.ts',
        'console-is-a-browser-bundle console/src/main.tsx',
        'console-uses-no-node-built-ins console/src/main.tsx',
        'no-circular-folders runtime/src/storage',
        'no-circular-folders runtime/src/registry',
        'no-circular-folders runtime/src/telemetry',
        'no-circular-folders runtime/src/node',
      ])
        assert.ok(found.has(expected), `expected "${expected}" among:\n${[...found].join('\n')}`);
      assert.ok(![...found].some((f) => f.endsWith(' cli/src/offline-use.ts')), [...found].join('\n'));
      // The port is the bus's way to the log; rendezvous hashing is an engine's one way above it.
      assert.ok(![...found].some((f) => f.endsWith(' runtime/src/bus/dispatch-loop.ts')), [...found].join('\n'));
      assert.ok(!found.has('the-log-knows-nothing-above-it runtime/src/log/kafka/partitioner.ts'), [...found].join('\n'));
      // A module cycle is reported once, from whichever of its modules the cruise met first.
      assert.ok(
        found.has('no-circular runtime/src/storage/ports.ts') || found.has('no-circular runtime/src/registry/registry-store.ts'),
        [...found].join('\n'),
      );
      // The folder cycle runs through different files: no module is in a cycle.
      assert.ok(
        ![...found].some((f) => f.startsWith('no-circular runtime/src/telemetry/') || f.startsWith('no-circular runtime/src/node/')),
        [...found].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
