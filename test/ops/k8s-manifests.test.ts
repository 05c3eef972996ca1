/**
 * deploy/k8s as a cluster would take it: every manifest validates with kubernetes-validate (PyPI,
 * installed once into a venv by scripts/infra) against the Kubernetes release the manifests target,
 * in strict mode (unknown fields refused), and the properties that make three pods behind one
 * Service usable: one Secret for the API tokens, TLS wherever the API leaves loopback, probes the
 * kubelet can actually make, a scrapeable metrics port, an OTLP endpoint, limits, a strict
 * securityContext. Plus the image's build context: .dockerignore keeps the machine's state out and
 * the build's inputs in.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '@caxton/sandbox';
import type * as Infra from '../../scripts/infra/index.d.mts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const K8S = path.join(ROOT, 'deploy', 'k8s');
const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

/** Kinds kubernetes-validate has no schema for: checked structurally below instead. */
const NO_SCHEMA: Record<string, string> = {
  'kustomization.yaml': 'Kustomization',
  'caxton-servicemonitor.yaml': 'ServiceMonitor',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function exec(cmd: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

// Manifests are YAML; the tests may use only node: builtins, so the venv's PyYAML (a dependency of
// kubernetes-validate, pinned with it) turns them into JSON. It reads YAML 1.1 as kubectl does
// (0440 is octal).
type Doc = Record<string, any>;
async function loadYaml(python: string, files: string[]): Promise<Doc[][]> {
  const r = await exec(python, [
    '-c',
    'import json, sys, yaml\njson.dump([[d for d in yaml.safe_load_all(open(f)) if d is not None] for f in sys.argv[1:]], sys.stdout)',
    ...files,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Doc[][];
}

/** `--name=value` or `--name value` from an argument list. */
function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

describe('deploy/k8s', { timeout: 10 * 60_000 }, () => {
  let kv: string;
  let python: string;
  let files: string[];
  const docs = new Map<string, Doc[]>();
  let tmp: string;

  const all = (): Doc[] => [...docs.values()].flat();
  const one = (kind: string, name?: string): Doc => {
    const found = all().filter((d) => d['kind'] === kind && (name === undefined || d['metadata']?.name === name));
    assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''} in deploy/k8s`);
    return found[0]!;
  };
  const statefulSet = (): Doc => one('StatefulSet', 'caxton');
  const podSpec = (): Doc => statefulSet()['spec'].template.spec as Doc;
  const container = (): Doc => {
    const cs = podSpec()['containers'] as Doc[];
    const c = cs.find((x) => x['name'] === 'caxton');
    assert.ok(c, 'a container named caxton');
    return c;
  };
  /** The pod volume mounted at the directory holding `file`, in container `c`. */
  const volumeFor = (c: Doc, file: string): Doc => {
    const mount = (c['volumeMounts'] as Doc[]).find((m) => file.startsWith(`${String(m['mountPath']).replace(/\/$/, '')}/`));
    assert.ok(mount, `${file} is on a mounted volume`);
    const vol = (podSpec()['volumes'] as Doc[]).find((v) => v['name'] === mount['name']);
    assert.ok(vol, `volume ${mount['name']} of ${file} is a pod volume (not a per-pod volumeClaimTemplate)`);
    return { ...vol, mountPath: mount['mountPath'], readOnly: mount['readOnly'] };
  };

  before(async () => {
    const { installKubernetesValidate } = await infra();
    kv = await installKubernetesValidate();
    python = path.join(path.dirname(kv), 'python');
    files = (await readdir(K8S)).filter((f) => f.endsWith('.yaml')).sort();
    const parsed = await loadYaml(
      python,
      files.map((f) => path.join(K8S, f)),
    );
    files.forEach((f, i) => docs.set(f, parsed[i]!));
    tmp = await mkdtemp(path.join(os.tmpdir(), 'caxton-k8s-test-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('has the manifests kustomization.yaml lists, and the optional ServiceMonitor outside it', async () => {
    const k = docs.get('kustomization.yaml')?.[0];
    assert.ok(k, 'kustomization.yaml');
    assert.equal(k['kind'], 'Kustomization');
    const resources = k['resources'] as string[];
    for (const r of resources) assert.ok(files.includes(r), `${r} (listed in kustomization.yaml) exists`);
    const unlisted = files.filter((f) => f !== 'kustomization.yaml' && !resources.includes(f));
    assert.deepEqual(unlisted, ['caxton-servicemonitor.yaml'], 'everything but the optional ServiceMonitor is applied by -k');
  });

  it('every manifest validates against the target Kubernetes release and the newest the tool bundles, strictly', async () => {
    const { KUBERNETES_SCHEMA_VERSION, KUBERNETES_VALIDATE_VERSION } = await infra();
    // The tool's version is the newest Kubernetes release whose schemas it bundles.
    for (const version of [KUBERNETES_SCHEMA_VERSION, KUBERNETES_VALIDATE_VERSION]) {
      for (const f of files) {
        const r = await exec(kv, ['--strict', '-k', version, path.join(K8S, f)]);
        const out = `${r.stdout}${r.stderr}`;
        assert.equal(r.code, 0, `${f} against ${version}:\n${out}`);
        const lines = out.split('\n').filter(Boolean);
        const minor = version.split('.').slice(0, 2).join('.');
        if (NO_SCHEMA[f]) {
          // No schema exists for this kind, so the tool can only say so; its content is checked below.
          assert.deepEqual(
            lines.map((l) => l.startsWith('WARN') && l.includes(`Couldn't find schema for kind ${NO_SCHEMA[f]}`)),
            [true],
            out,
          );
          continue;
        }
        const passed = lines.filter(
          (l) => l.startsWith('INFO') && l.includes('passed for resource') && l.endsWith(`against version ${minor}`),
        );
        assert.equal(passed.length, docs.get(f)!.length, `every document of ${f} passed against ${version}:\n${out}`);
        assert.equal(passed.length, lines.length, `nothing but passes for ${f}:\n${out}`);
      }
    }
  });

  it('strict mode is really strict: a misspelt field fails validation', async () => {
    const { KUBERNETES_SCHEMA_VERSION } = await infra();
    const text = await readFile(path.join(K8S, 'caxton-statefulset.yaml'), 'utf8');
    assert.match(text, /readinessProbe:/);
    const bad = path.join(tmp, 'typo.yaml');
    await writeFile(bad, text.replace('readinessProbe:', 'readinessprobe:'));
    const r = await exec(kv, ['--strict', '-k', KUBERNETES_SCHEMA_VERSION, bad]);
    assert.notEqual(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, /'readinessprobe' was unexpected/);
  });

  it('all pods read the admin and read-only tokens from one Secret, not per-pod files', () => {
    const c = container();
    const args = c['args'] as string[];
    assert.equal(args.includes('--no-auth'), false, 'authentication stays on');
    const admin = flag(args, 'auth-token-file');
    const read = flag(args, 'read-token-file');
    assert.ok(admin && read, '--auth-token-file and --read-token-file are given');
    const va = volumeFor(c, admin);
    const vr = volumeFor(c, read);
    const secret = va['secret'] as Doc | undefined;
    assert.ok(secret?.['secretName'], `${admin} comes from a Secret volume`);
    assert.equal(vr['secret']?.secretName, secret['secretName'], 'both tokens come from the same Secret');
    assert.equal(va['readOnly'], true);
    // Every replica is stamped from this one template, and no volumeClaimTemplate holds the tokens.
    const claims = ((statefulSet()['spec'].volumeClaimTemplates as Doc[]) ?? []).map((t) => t['metadata'].name);
    assert.equal(claims.includes(va['name']), false);
    // serve refuses token files that other users can read (runtime/src/api/auth.ts).
    const mode = Number(secret['defaultMode']);
    assert.equal(mode & 0o007, 0, `token files mode ${mode.toString(8)} has no access for others`);
    const items = (secret['items'] as Doc[]).map((i) => `${va['mountPath']}/${i['path']}`);
    assert.ok(items.includes(admin) && items.includes(read), 'the Secret projects both token files');
  });

  it('no container serves the API in plaintext beyond loopback', () => {
    const pods = all()
      .filter((d) => d['spec']?.template?.spec?.containers)
      .map((d) => d['spec'].template.spec as Doc);
    assert.ok(pods.length > 0);
    for (const pod of pods) {
      for (const c of pod['containers'] as Doc[]) {
        const args = (c['args'] as string[] | undefined) ?? [];
        if (args[0] !== 'serve') continue;
        const addr = flag(args, 'addr');
        const host = flag(args, 'api-host') ?? (addr ? addr.slice(0, addr.lastIndexOf(':')) : '127.0.0.1');
        if (LOOPBACK.test(host)) continue;
        const cert = flag(args, 'cert');
        const key = flag(args, 'key');
        assert.ok(cert && key, `${c['name']}: the API on ${host} has --cert and --key`);
        assert.ok(volumeFor(c, cert)['secret'], 'the certificate comes from a Secret');
        assert.ok(volumeFor(c, key)['secret'], 'the key comes from a Secret');
        assert.equal(args.includes('--no-auth'), false);
      }
    }
  });

  it('probes use grpc.health.v1 on a port the kubelet can reach without TLS', () => {
    const c = container();
    const ports = c['ports'] as Doc[];
    const api = ports.find((p) => p['name'] === 'grpc');
    assert.ok(api);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const port = c[probe]?.grpc?.port;
      assert.ok(port, `${probe} is a gRPC health probe`);
      assert.ok(
        ports.some((p) => p['containerPort'] === port),
        `${probe} port ${port} is declared`,
      );
      // The kubelet's gRPC probe has no TLS: it cannot check the TLS API port.
      assert.notEqual(port, api['containerPort'], `${probe} does not probe the TLS API port`);
    }
    const health = flag(c['args'] as string[], 'health-addr');
    assert.ok(health?.endsWith(`:${c['readinessProbe'].grpc.port}`), '--health-addr is where the probes go');
  });

  it('exposes metrics on port 9464 named metrics, annotated for scraping, with an optional ServiceMonitor', () => {
    const c = container();
    const metrics = (c['ports'] as Doc[]).find((p) => p['name'] === 'metrics');
    assert.equal(metrics?.['containerPort'], 9464);
    assert.equal(flag(c['args'] as string[], 'metrics-addr'), '0.0.0.0:9464');
    const ann = statefulSet()['spec'].template.metadata.annotations as Record<string, string>;
    assert.equal(ann['prometheus.io/scrape'], 'true');
    assert.equal(ann['prometheus.io/port'], '9464');
    assert.equal(ann['prometheus.io/path'], '/metrics');
    const headless = one('Service', 'caxton-nodes');
    assert.equal(headless['spec'].clusterIP, 'None');
    assert.ok((headless['spec'].ports as Doc[]).some((p) => p['name'] === 'metrics' && p['targetPort'] === 'metrics'));
    const sm = one('ServiceMonitor', 'caxton');
    const want = sm['spec'].selector.matchLabels as Record<string, string>;
    const selected = all().filter(
      (d) => d['kind'] === 'Service' && Object.entries(want).every(([k, v]) => d['metadata'].labels?.[k] === v),
    );
    assert.deepEqual(
      selected.map((s) => s['metadata'].name),
      ['caxton-nodes'],
      'the ServiceMonitor selects the per-pod headless Service only',
    );
    assert.deepEqual(
      (sm['spec'].endpoints as Doc[]).map((e) => [e['port'], e['path']]),
      [['metrics', '/metrics']],
    );
  });

  it('sends telemetry to the OTLP endpoint of the ConfigMap the pods read', () => {
    const cm = one('ConfigMap', 'caxton-config');
    assert.match(String(cm['data'].OTEL_EXPORTER_OTLP_ENDPOINT), /^https?:\/\/[^/\s]+:\d+$/);
    assert.equal(cm['data'].OTEL_EXPORTER_OTLP_PROTOCOL, 'http/protobuf');
    assert.ok((container()['envFrom'] as Doc[]).some((e) => e['configMapRef']?.name === 'caxton-config'));
  });

  it('gives the node the memory the sizing formula asks for its design point (docs/operations.md, "Sizing")', () => {
    const c = container();
    const mib = (q: string): number => {
      const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
      assert.ok(m, `${q} is a memory quantity`);
      const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1000 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[m[2] ?? ''] ?? 1 / 2 ** 20;
      return Number(m[1]) * unit;
    };
    const limit = mib(String(c['resources'].limits.memory));
    const request = mib(String(c['resources'].requests.memory));
    // bench/sizing.ts: the node serving with no agent took 193-200 MiB; one small component
    // 100-150 MiB once; preparation may take up to --prepare-heap-mib (default 1024) at a time.
    const prepareHeap = Number(flag(c['args'] as string[], 'prepare-heap-mib') ?? 1024);
    const capMiB = (DEFAULT_LIMITS.memoryPages * 64) / 1024;
    const designPoint = 200 + prepareHeap + 5 * 150 + 100 * capMiB;
    assert.ok(
      limit >= designPoint,
      `limit ${limit} MiB holds 100 agents at the default ${capMiB} MiB cap from 5 components (${designPoint} MiB)`,
    );
    assert.ok(limit <= designPoint * 1.25, `limit ${limit} MiB is not far above what the design point needs (${designPoint} MiB)`);
    assert.ok(
      request >= 200 + 5 * 150 && request <= limit,
      `request ${request} MiB: at least the idle node with its components, at most the limit`,
    );
  });

  it('sets resource requests and limits and keeps the securityContext strict', () => {
    const c = container();
    assert.ok(c['resources'].requests.cpu && c['resources'].requests.memory, 'cpu and memory requests');
    assert.ok(c['resources'].limits.memory, 'a memory limit');
    const pod = podSpec();
    assert.equal(pod['securityContext'].runAsNonRoot, true);
    assert.ok(Number(pod['securityContext'].runAsUser) > 0);
    assert.equal(pod['securityContext'].seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod['automountServiceAccountToken'], false);
    const sc = c['securityContext'] as Doc;
    assert.equal(sc['allowPrivilegeEscalation'], false);
    assert.equal(sc['readOnlyRootFilesystem'], true);
    assert.deepEqual(sc['capabilities'].drop, ['ALL']);
    assert.equal(sc['privileged'] ?? false, false);
    // The namespace enforces the "restricted" Pod Security Standard, so a looser pod is refused.
    assert.equal(one('Namespace')['metadata'].labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });
});

// Docker's rules: patterns are matched against paths relative to the context root (Go's
// filepath.Match plus `**`); a match on a directory excludes everything under it; `!` re-includes;
// the last matching line wins.
function dockerignore(text: string): (file: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = path.posix.normalize((negate ? line.slice(1) : line).replace(/^\/+/, ''));
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i]!;
        if (ch === '*' && pattern[i + 1] === '*') {
          re += '.*';
          i++;
          if (pattern[i + 1] === '/') i++;
        } else if (ch === '*') re += '[^/]*';
        else if (ch === '?') re += '[^/]';
        else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (file) => {
    const parts = file.split('/');
    let excluded = false;
    for (const rule of rules) {
      // The file itself or any directory above it.
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

describe('.dockerignore (build context of deploy/k8s/Dockerfile)', () => {
  it('excludes dependencies, build outputs, .git and test artifacts', async () => {
    const excluded = dockerignore(await readFile(path.join(ROOT, '.dockerignore'), 'utf8'));
    for (const f of [
      'node_modules/typescript/package.json',
      'runtime/node_modules/x/index.js',
      'runtime/dist/index.js',
      'cli/dist/src/main.js',
      'core/dist/test/a.test.js',
      'runtime/tsconfig.tsbuildinfo',
      '.git/HEAD',
      '.git/objects/ab/cdef',
      'test/dist/ops/k8s-manifests.test.js',
      'test-results/junit.xml',
      'coverage/lcov.info',
      '.caxton/auth-token',
      'runtime/.caxton/cache/x',
      '.cache/caxton/x',
      'examples/as-echo/build/echo.wasm',
      'sdk-rust/target/debug/x',
      'npm-debug.log',
      'bench/run.log',
    ])
      assert.equal(excluded(f), true, `${f} is excluded`);
  });

  it('keeps every file the image build reads (npm ci, tsc -b, the runtime)', async () => {
    const excluded = dockerignore(await readFile(path.join(ROOT, '.dockerignore'), 'utf8'));
    for (const f of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.base.json',
      'runtime/package.json',
      'runtime/src/api/auth.ts',
      'wit/agent.wit',
      'cli/bin/caxton.js',
      'test/ops/k8s-manifests.test.ts',
      'deploy/k8s/Dockerfile',
    ]) {
      assert.equal(excluded(f), false, `${f} stays in the build context`);
    }
    // Every tracked source the build or the running node may read, not just the samples above.
    const git = await exec('git', ['ls-files', '-z']);
    assert.equal(git.code, 0, `git ls-files: ${git.stderr}`);
    const sources = git.stdout.split('\0').filter((f) => /\.(ts|mts|js|mjs|cjs|json|wit|proto)$/.test(f));
    assert.ok(sources.length > 100, `git lists the sources (${sources.length})`);
    assert.deepEqual(sources.filter(excluded), [], 'no tracked source is excluded');
  });
});
