/**
 * `caxton` answers at once (issue 28, decision 1780): help, the version and every command's
 * --help load the CLI, yargs and core only — never the node (@caxton/runtime, with Kafka, etcd and
 * OpenTelemetry's SDK), the sandbox or the toolchain — and the top-level ones not even the API
 * client. Held without timing: each run records the modules it loaded (support/record-imports.ts,
 * a resolve hook plus the CommonJS cache) and the test names what must not be among them. The
 * commands that need a piece of the runtime but no node (`audit verify`, `keygen`) load it from
 * `@caxton/runtime/offline`, not the node's graph (decision 2138). The serve case proves the
 * recording sees the node when a command does load it. Neither a node on the embedded defaults nor
 * a bare import('@caxton/runtime') (the compiled modules test children and embedders load) loads
 * kafkajs, etcd3 or cockatiel; a node given --kafka and --etcd, and @caxton/runtime/cluster, load
 * them all (decision 2146).
 *
 * The bin runs the bundle that `npm run build` makes (cli/dist/bundle, decision 2051): a chunk it
 * loaded counts as every compiled module esbuild put in it (the bundle's meta.json), so the rules
 * below hold for the bundled CLI as they do for the compiled modules it is made from.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { withoutNodeWarnings } from './support/node-warnings.js';
import { freePort } from './support/ports.js';
import { caxton, type CliResult } from './support/run-cli.js';
import { writeSignedAuditExport } from './support/signed-audit-export.js';

const run = promisify(execFile);

type BundleMeta = { outputs: Record<string, { inputs: Record<string, unknown> }> };

// Compiled to cli/dist/test/, three levels below the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RECORDER = pathToFileURL(fileURLToPath(new URL('./support/record-imports.js', import.meta.url))).href;

/** The files of an installed package, by its name. */
function packageRule(name: string): { name: string; test: (p: string) => boolean } {
  return { name, test: (p) => p.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`) };
}
/**
 * The Kafka and etcd clients and etcd3's retry library, loaded by a node only when it is configured
 * for a cluster (decision 2146). gRPC and protobufjs are not among them: the API server loads them.
 */
const CLUSTER_CLIENTS: readonly { name: string; test: (p: string) => boolean }[] = ['kafkajs', 'etcd3', 'cockatiel'].map(packageRule);
/** What no help or version output may load: the node, the sandbox, the toolchain and their heavy dependencies. */
const NODE_SIDE: readonly { name: string; test: (p: string) => boolean }[] = [
  { name: '@caxton/runtime', test: (p) => p.startsWith(path.join(ROOT, 'runtime') + path.sep) },
  { name: '@caxton/sandbox', test: (p) => p.startsWith(path.join(ROOT, 'sandbox') + path.sep) },
  { name: '@caxton/toolchain', test: (p) => p.startsWith(path.join(ROOT, 'toolchain') + path.sep) },
  ...CLUSTER_CLIENTS,
  { name: 'the OpenTelemetry SDK', test: (p) => /[/\\]node_modules[/\\]@opentelemetry[/\\](sdk-|exporter-|resources)/.test(p) },
];
/** What a command that runs no node must not load although it uses the runtime's offline entry. */
const THE_NODE: readonly { name: string; test: (p: string) => boolean }[] = [
  { name: "@caxton/runtime's main entry", test: (p) => p === path.join(ROOT, 'runtime', 'dist', 'src', 'index.js') },
  ...NODE_SIDE.filter((r) => r.name !== '@caxton/runtime'),
];
/** The MCP SDK, loaded by a node only when it serves MCP. */
const MCP_SDK: readonly { name: string; test: (p: string) => boolean }[] = [packageRule('@modelcontextprotocol')];
/** The OTLP exporters, loaded by a node only when its telemetry config exports that signal. */
const OTLP_EXPORTERS: readonly { name: string; test: (p: string) => boolean }[] = [
  {
    name: 'an OTLP exporter',
    test: (p) => /[/\\]node_modules[/\\]@opentelemetry[/\\]exporter-(trace|metrics|logs)-otlp-proto[/\\]/.test(p),
  },
];
/** The offline entry itself: a run that did not load it proves nothing about what it loads. */
const OFFLINE_ENTRY = path.join(ROOT, 'runtime', 'dist', 'src', 'offline', 'public.js');
/** What top-level --help and --version do not need either: the API client and gRPC. */
const CLIENT_SIDE: readonly { name: string; test: (p: string) => boolean }[] = [
  { name: '@caxton/client', test: (p) => p.startsWith(path.join(ROOT, 'client') + path.sep) },
  packageRule('@grpc'),
];

let work: string;
let runs = 0;

/** Runs caxton with the recorder; returns its result and the files it loaded (as paths). */
async function recorded(args: string[]): Promise<{ result: CliResult; loaded: string[]; files: string[] }> {
  const log = nextImportLog();
  const result = await caxton(args, { cwd: work, env: { NODE_OPTIONS: `--import=${RECORDER}`, CAXTON_TEST_IMPORT_LOG: log } });
  const files = await recordedFiles(log);
  return { result, loaded: await unbundled(files), files };
}

/**
 * Imports `specifier` from the repository's root in a bare node process with the recorder, the way
 * a test's node child or an embedder loads the runtime: its compiled modules, not the CLI's bundle.
 * Returns the files it loaded (as paths).
 */
async function recordedImport(specifier: string): Promise<string[]> {
  const log = nextImportLog();
  const args = ['--import', RECORDER, '--input-type=module', '-e', `await import(${JSON.stringify(specifier)});`];
  const { stderr } = await run(process.execPath, args, { cwd: ROOT, env: { ...process.env, CAXTON_TEST_IMPORT_LOG: log } });
  assert.equal(withoutNodeWarnings(stderr), '', `import('${specifier}') wrote to stderr`);
  return recordedFiles(log);
}

function nextImportLog(): string {
  return path.join(work, `imports-${runs++}.log`);
}

/** The recorder's log as unique paths (ESM resolutions are file: URLs, the CommonJS cache paths). */
async function recordedFiles(log: string): Promise<string[]> {
  const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  return [...new Set(lines.map((l) => (l.startsWith('file:') ? fileURLToPath(l) : l)))];
}

/** The loaded files, each bundle chunk replaced by the compiled modules it holds (others as they are). */
async function unbundled(loaded: readonly string[]): Promise<string[]> {
  const bundleDir = path.join(ROOT, 'cli', 'dist', 'bundle') + path.sep;
  if (!loaded.some((p) => p.startsWith(bundleDir))) return [...loaded];
  const meta = JSON.parse(await readFile(path.join(bundleDir, 'meta.json'), 'utf8')) as BundleMeta;
  return loaded.flatMap((p) => {
    if (!p.startsWith(bundleDir) || !p.endsWith('.js')) return [p];
    const chunk = meta.outputs[path.relative(ROOT, p).split(path.sep).join('/')];
    assert.ok(chunk, `${p} is not in the bundle's meta.json`);
    // Inputs are paths relative to the root, or namespace:path for the ones a plugin made.
    return [p, ...Object.keys(chunk.inputs).map((i) => (/^[a-z-]+:/.test(i) ? i.slice(i.indexOf(':') + 1) : path.join(ROOT, i)))];
  });
}

function offenders(loaded: readonly string[], rules: readonly { name: string; test: (p: string) => boolean }[]): string[] {
  return rules.flatMap((r) => {
    const hit = loaded.find((p) => r.test(p));
    return hit ? [`${r.name} (${path.relative(ROOT, hit)})`] : [];
  });
}

/** The recorder saw the CLI start: its entry point and yargs are in the log (else the test would prove nothing). */
function assertRecorded(loaded: readonly string[]): void {
  assert.ok(
    loaded.some((p) => p === path.join(ROOT, 'cli', 'dist', 'src', 'app.js')),
    'the recorder did not see cli/dist/src/app.js',
  );
  assert.ok(
    loaded.some((p) => p.includes(`${path.sep}node_modules${path.sep}yargs${path.sep}`)),
    'the recorder did not see yargs',
  );
}

describe('caxton start-up loads only what the command needs', () => {
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'caxton-startup-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the bin runs the bundle `npm run build` made (the start-up issue 28 measures)', { timeout: 60_000 }, async () => {
    const { result, files } = await recorded(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      files.includes(path.join(ROOT, 'cli', 'dist', 'bundle', 'main.js')),
      'caxton did not run cli/dist/bundle/main.js (run `npm run build`: a bare tsc -b leaves the bundle stale)',
    );
    const compiled = files.filter((p) => ['cli', 'core'].some((ws) => p.startsWith(path.join(ROOT, ws, 'dist', 'src') + path.sep)));
    assert.deepEqual(compiled, [], 'compiled modules were loaded beside the bundle');
  });

  for (const args of [['--help'], ['--version']]) {
    it(`caxton ${args.join(' ')} loads neither the node nor the API client`, { timeout: 60_000 }, async () => {
      const { result, loaded } = await recorded(args);
      assert.equal(result.code, 0, result.stderr);
      assertRecorded(loaded);
      assert.deepEqual(offenders(loaded, [...NODE_SIDE, ...CLIENT_SIDE]), []);
    });
  }

  it('caxton <command> --help, for every command --help lists, loads nothing of the node', { timeout: 600_000 }, async () => {
    const help = (await caxton(['--help'], { cwd: work })).stdout;
    // The command list: "  caxton <name> …" lines of the help text.
    const commands = [...new Set([...help.matchAll(/^\s+caxton ([a-z][a-z-]*)/gm)].map((m) => m[1]!))];
    for (const expected of ['serve', 'deploy', 'agents', 'send', 'audit', 'token', 'build', 'toolchain'])
      assert.ok(commands.includes(expected), `--help lists no ${expected}: ${commands.join(', ')}`);
    const found: string[] = [];
    for (const command of commands) {
      const { result, loaded } = await recorded([command, '--help']);
      assert.equal(result.code, 0, `${command} --help: ${result.stderr}`);
      assertRecorded(loaded);
      found.push(...offenders(loaded, NODE_SIDE).map((o) => `caxton ${command} --help loaded ${o}`));
    }
    assert.deepEqual(found, []);
  });

  it('a bundled `serve` runs the node from the bundle: no second copy of the runtime or client from their compiled modules', {
    timeout: 60_000,
  }, async () => {
    // A busy API port makes the node refuse at once, after it has been loaded and started.
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const { result, files, loaded } = await recorded([
        'serve',
        '--api-host',
        '127.0.0.1',
        '--api-port',
        String(port),
        '--data-dir',
        path.join(work, 'serve-data'),
      ]);
      assert.notEqual(result.code, 0, 'serve on a busy port must fail');
      // The recording sees the node when a command does load it (else the rules above prove nothing).
      assert.ok(
        loaded.includes(path.join(ROOT, 'runtime', 'dist', 'src', 'index.js')),
        'serve loads @caxton/runtime and the recording must show it',
      );
      assert.ok(
        offenders(loaded, THE_NODE).some((o) => o.startsWith("@caxton/runtime's main entry")),
        'the rules do not see the node that serve loaded',
      );
      // A node that does not serve MCP or export OTLP loads neither library (decision 2138); one on
      // the embedded log and registry loads neither Kafka's nor etcd's client (decision 2146).
      assert.deepEqual(offenders(loaded, [...MCP_SDK, ...OTLP_EXPORTERS, ...CLUSTER_CLIENTS]), []);
      assert.match(result.stderr, /hint: .*--api-port/, "the node's refusal lost its hint");
      assert.ok(
        files.includes(path.join(ROOT, 'cli', 'dist', 'bundle', 'main.js')),
        'caxton did not run cli/dist/bundle/main.js (run `npm run build`)',
      );
      // The node's shard, prepare and instrument workers load the compiled sandbox and core, each in
      // its own thread (rightly), and the recorder sees every thread: so core is not counted here.
      // The runtime and the client are loaded by the main thread only: any of their compiled
      // modules is the second copy a variable import() used to bring in.
      const compiled = files.filter((p) => ['runtime', 'client'].some((ws) => p.startsWith(path.join(ROOT, ws, 'dist', 'src') + path.sep)));
      assert.deepEqual(compiled, [], 'compiled modules were loaded beside the bundle');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('a `serve --mcp` loads the MCP SDK when it starts the endpoint, and the recording sees that', { timeout: 120_000 }, async () => {
    // A busy MCP port makes the node refuse once it has loaded the MCP server and tried to listen.
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const { result, loaded } = await recorded([
        'serve',
        '--api-host',
        '127.0.0.1',
        '--api-port',
        '0',
        '--mcp',
        `127.0.0.1:${port}`,
        '--data-dir',
        path.join(work, 'serve-mcp-data'),
      ]);
      assert.notEqual(result.code, 0, 'serve with --mcp on a busy port must fail');
      assert.match(result.stderr, /hint: /, 'the refusal lost its hint');
      assert.ok(offenders(loaded, MCP_SDK).length > 0, 'serve --mcp did not load the MCP SDK, or the recording does not see it');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('a `serve --kafka --etcd` loads both clients when it opens the cluster topology, and the recording sees them', {
    timeout: 120_000,
  }, async () => {
    // Ports free a moment ago: both clients are loaded, fail to connect, and the node refuses with a hint.
    const [kafka, etcd] = [await freePort(), await freePort()];
    const { result, loaded } = await recorded([
      'serve',
      '--api-host',
      '127.0.0.1',
      '--api-port',
      '0',
      '--kafka',
      `127.0.0.1:${kafka}`,
      '--etcd',
      `127.0.0.1:${etcd}`,
      '--data-dir',
      path.join(work, 'serve-cluster-data'),
    ]);
    assert.notEqual(result.code, 0, 'serve with unreachable Kafka and etcd must fail');
    // The cluster topology's own refusal (etcd's is reported first when both fail; Kafka's if a
    // stranger took etcd's port meanwhile), not one from some other stage of the start.
    assert.match(
      result.stderr,
      new RegExp(`caxton: (etcd at http://127\\.0\\.0\\.1:${etcd}|Kafka at 127\\.0\\.0\\.1:${kafka}) unreachable`),
      'serve did not refuse for the unreachable cluster',
    );
    assert.match(result.stderr, /hint: start one with `npm run infra:up[^`]*` or pass --(etcd|kafka)/, 'the refusal lost its hint');
    assert.deepEqual(
      CLUSTER_CLIENTS.filter((r) => !loaded.some((p) => r.test(p))).map((r) => r.name),
      [],
      'serve --kafka --etcd did not load a cluster client, or the recording does not see it',
    );
  });

  it("import('@caxton/runtime') unbundled, as test children and embedders load it, loads no cluster client", {
    timeout: 120_000,
  }, async () => {
    const loaded = await recordedImport('@caxton/runtime');
    assert.ok(
      loaded.includes(path.join(ROOT, 'runtime', 'dist', 'src', 'index.js')),
      "the recording does not show the runtime's compiled entry",
    );
    assert.deepEqual(offenders(loaded, CLUSTER_CLIENTS), []);
  });

  it("import('@caxton/runtime/cluster') loads every cluster client, and the recording sees them", { timeout: 120_000 }, async () => {
    const loaded = await recordedImport('@caxton/runtime/cluster');
    assert.deepEqual(
      CLUSTER_CLIENTS.filter((r) => !loaded.some((p) => r.test(p))).map((r) => r.name),
      [],
      '@caxton/runtime/cluster did not load a cluster client, or the recording does not see it',
    );
  });

  it("keygen makes its keys with the runtime's offline entry, without loading the node", { timeout: 120_000 }, async () => {
    const { result, loaded } = await recorded(['keygen', '--out', path.join(work, 'keys')]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(loaded.includes(OFFLINE_ENTRY), 'keygen did not load @caxton/runtime/offline');
    assert.deepEqual(offenders(loaded, THE_NODE), []);
  });

  it("audit verify checks an export's signed anchor with the runtime's offline entry, without loading the node", {
    timeout: 120_000,
  }, async () => {
    const exported = await writeSignedAuditExport(path.join(work, 'audit-export'));
    const { result, loaded } = await recorded(['audit', 'verify', '--input', exported.file, '--trust-key', exported.publicKey]);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /audit trail intact: 2 records/);
    assert.match(result.stdout, /^anchor: #1 /m);
    assert.ok(loaded.includes(OFFLINE_ENTRY), 'audit verify did not load @caxton/runtime/offline');
    assert.deepEqual(offenders(loaded, THE_NODE), []);
    // The signature is checked, not only loaded: an altered one is refused as a forged anchor.
    const forged = await caxton(['audit', 'verify', '--input', exported.forgedFile, '--trust-key', exported.publicKey], { cwd: work });
    assert.equal(forged.code, 11, `${forged.stdout}${forged.stderr}`);
    assert.match(forged.stdout + forged.stderr, /anchor .*cannot be trusted/);
  });
});
