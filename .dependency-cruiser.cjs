/**
 * The dependency rule of Caxton (docs/architecture.md), checked by test/repo/dependency-rules.test.ts
 * on every `npm test`: a layer that reaches around another fails the suite.
 *
 *   core  ←  toolchain
 *   core  ←  sandbox  ←  runtime  ←  cli
 *   core  ←  client   ←  runtime, cli   (the API client: no node inside, decision 1780)
 *
 * Packages import each other only through their entry points: `@caxton/<name>` (src/index.ts), and
 * a subpath a package's package.json exports for a light part of it (src/<folder>/public.ts, such as
 * `@caxton/runtime/offline`, decision 2138); inside the runtime the bus, the registry and the storage adapters know
 * nothing of the node or the API that sit above them. Nothing imports itself back: no module cycle
 * and no cycle between folders (docs/decisions/1702-no-import-cycles.md).
 */
const PKGS = '(core|client|sandbox|toolchain|runtime|cli)';
/** Every package's sources and the console's, where cycles are refused. */
const SOURCES = '^(core|client|sandbox|toolchain|runtime|cli|console)/src';
const NETWORK = '^(net|http|https|http2|tls|dgram|dns|child_process|cluster)$';
/**
 * The subpath entries each package's package.json exports besides `.` (such as
 * `@caxton/runtime/offline`, decision 2138), as the source and built paths another package may
 * reach: read from the package.json files, so the rule admits exactly what they declare.
 */
const SUBPATH_ENTRIES = ['core', 'client', 'sandbox', 'toolchain', 'runtime', 'cli'].flatMap((pkg) => {
  const exports = require(`./${pkg}/package.json`).exports ?? {};
  return Object.entries(exports).filter(([subpath]) => subpath !== '.').map(([subpath, target]) => {
    const file = typeof target === 'string' ? target : target.default;
    const built = /^\.\/dist\/src\/([a-z-]+\/[a-z-]+)\.js$/.exec(file);
    if (!built) throw new Error(`${pkg}/package.json exports ${subpath} as ${file}: a subpath entry is dist/src/<folder>/<name>.js (see .dependency-cruiser.cjs)`);
    return `^${pkg}/(src/${built[1]}\\.ts|dist/src/${built[1]}\\.(js|d\\.ts))$`;
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-the-bottom',
      comment: '@caxton/core is shared by everything, so it depends on no other Caxton package.',
      severity: 'error',
      from: { path: '^core/src/' },
      to: { path: `^${PKGS}/`, pathNot: '^core/' },
    },
    {
      name: 'core-is-pure',
      comment: 'core holds the message model, codecs, protocol machines and the control model: no I/O, no third-party code.',
      severity: 'error',
      from: { path: '^core/src/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^(buffer|node:buffer)$' },
    },
    {
      name: 'toolchain-uses-core-only',
      comment: 'Building an agent needs the contract (core), never the sandbox that runs it or the node.',
      severity: 'error',
      from: { path: '^toolchain/src/' },
      to: { path: '^(sandbox|runtime|cli)/' },
    },
    {
      name: 'client-knows-nothing-of-the-node',
      comment: 'The API client is what every remote `caxton` command loads: it sees the contract (core) and the wire, never the node, the sandbox or the toolchain, so loading it stays cheap.',
      severity: 'error',
      from: { path: '^client/src/' },
      to: { path: '^(sandbox|runtime|cli|toolchain)/' },
    },
    {
      name: 'sandbox-below-the-runtime',
      comment: 'The sandbox runs untrusted code; it sees the contract (core) and nothing of the node, the toolchain or the CLI.',
      severity: 'error',
      from: { path: '^sandbox/src/' },
      to: { path: '^(runtime|cli|toolchain)/' },
    },
    {
      name: 'sandbox-has-no-network',
      comment: 'Guest-facing code opens no sockets and starts no processes: a guest can only reach what the host bridge offers.',
      severity: 'error',
      from: { path: '^sandbox/src/' },
      to: { dependencyTypes: ['core'], path: NETWORK },
    },
    {
      name: 'runtime-below-the-cli',
      comment: 'The node is a library the CLI (and tests) drive; it never reaches up into the CLI or the build toolchain.',
      severity: 'error',
      from: { path: '^runtime/src/' },
      to: { path: '^(cli|toolchain)/' },
    },
    {
      name: 'no-deep-imports-across-packages',
      comment: 'Another package is reached through its entry points only: src/index.ts, or a subpath entry its package.json exports (src/<folder>/public.ts, built to dist/src/…).',
      severity: 'error',
      from: { path: `^${PKGS}/` },
      to: {
        path: `^${PKGS}/`,
        pathNot: [`^$1/`, `^${PKGS}/(src/index\\.ts|dist/src/index\\.(js|d\\.ts))$`, ...SUBPATH_ENTRIES],
      },
    },
    {
      name: 'bus-knows-nothing-above-it',
      comment: 'The bus routes, persists and dispatches through its port; the node, the API and the registry are not its business.',
      severity: 'error',
      from: { path: '^runtime/src/bus/' },
      to: { path: '^runtime/src/(node|api|registry|placement|artifacts|topology)/' },
    },
    {
      name: 'the-bus-reaches-the-log-through-its-port',
      comment:
        'The bus persists through the MessageLog port (log/message-log.ts) and never names a storage engine ' +
        '(log/embedded, log/kafka, log/memory): the topology picks the engine and start/ wires it in.',
      severity: 'error',
      from: { path: '^runtime/src/bus/' },
      to: { path: '^runtime/src/log/', pathNot: '^runtime/src/log/message-log\\.ts$' },
    },
    {
      name: 'the-log-knows-nothing-above-it',
      comment:
        'The message-log engines store and read records behind the port they implement (log/message-log.ts); ' +
        'the bus that consumes them, the node, the API and the registry are not their business.',
      severity: 'error',
      from: { path: '^runtime/src/log/' },
      // Rendezvous hashing is pure math shared with the Kafka adapter, which keeps each agent on the
      // node that owns its partition; the rest of placement belongs to the cluster topology.
      to: { path: '^runtime/src/(bus|node|api|registry|placement|artifacts|topology)/', pathNot: '^runtime/src/placement/rendezvous\\.ts$' },
    },
    {
      name: 'registry-knows-nothing-above-it',
      comment: 'Registry adapters store records; they do not route messages or serve the API.',
      severity: 'error',
      from: { path: '^runtime/src/registry/' },
      to: { path: '^runtime/src/(node|api|bus|placement|topology)/' },
    },
    {
      name: 'storage-adapters-do-not-serve-the-api',
      comment: 'Only the node talks to the API room; storage and placement raise typed core errors instead.',
      severity: 'error',
      from: { path: '^runtime/src/(bus|log|registry|placement|artifacts)/' },
      to: { path: '^runtime/src/api/' },
    },
    {
      name: 'the-domain-does-not-reach-into-the-api',
      comment: 'The node and the topologies raise core\'s control errors and speak core\'s control model; only start/ (startNode) starts the API server.',
      severity: 'error',
      from: { path: '^runtime/src/(node|topology|storage)/' },
      // Type-only imports are allowed: the node's start options carry the API's TLS settings.
      to: { path: '^runtime/src/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-the-cluster-topology-knows-kafka-and-etcd',
      comment: 'The node composes a topology and never asks which; Kafka, etcd and placement are the cluster topology\'s business.',
      severity: 'error',
      from: { path: '^runtime/src/(node|api|storage|start)/' },
      // Type-only imports are allowed: the node's start options name the cluster's tuning options.
      to: { path: ['^runtime/src/(log/kafka|registry/etcd|topology/cluster)/', '^runtime/src/artifacts/etcd', 'node_modules/(kafkajs|etcd3)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment:
        'No module reaches itself again through its imports. Type-only imports count (tsPreCompilationDeps): a cycle of types ' +
        'is still two modules that cannot be understood, moved or tested apart. Cut one by moving the shared type to the lower ' +
        'side or by a small interface the lower side owns (docs/decisions/1702-no-import-cycles.md).',
      severity: 'error',
      from: { path: `${SOURCES}/` },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment:
        'No folder reaches itself again through other folders (a folder counts with its sub-folders): storage/ must not ' +
        'need registry/ that needs storage/, telemetry/ must not need node/ that needs telemetry/.',
      severity: 'error',
      scope: 'folder',
      from: { path: SOURCES },
      to: { circular: true },
    },
    {
      name: 'console-is-a-browser-bundle',
      comment: 'console/src runs in the browser: it reaches the node over HTTP only, takes core through its entry point (the bundle narrows that to the console contract) and no Node built-in.',
      severity: 'error',
      from: { path: '^console/src/' },
      to: { path: `^${PKGS}/`, pathNot: `^core/(src/index\\.ts|dist/src/index\\.(js|d\\.ts))$` },
    },
    {
      name: 'console-uses-no-node-built-ins',
      severity: 'error',
      from: { path: '^console/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'source-does-not-import-tests',
      severity: 'error',
      from: { path: `^${PKGS}/src/` },
      to: { path: `^${PKGS}/test/|^test/|^bench/` },
    },
    {
      name: 'source-does-not-import-dev-dependencies',
      severity: 'error',
      from: { path: `^${PKGS}/src/` },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    // Another package resolves to its built entry point (dist/src/index); the cruise stops there.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'], extensions: ['.ts', '.tsx', '.js', '.d.ts'] },
    moduleSystems: ['es6'],
  },
};
