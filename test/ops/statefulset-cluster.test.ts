/**
 * deploy/k8s run for real, minus Kubernetes: the StatefulSet's exact command line and environment
 * (parsed out of caxton-statefulset.yaml, the ConfigMap and the Dockerfile's ENTRYPOINT/ENV) run as
 * three local `caxton serve` processes against real Kafka and etcd, with the tokens and the TLS
 * certificate projected from Secret manifests exactly as the StatefulSet's volumes mount them
 * (items, defaultMode 0440, the kubelet's ..data symlinks). Replaced, because they must differ
 * locally: the volumes' mount paths (temporary directories), the container ports (free local
 * ports), the ConfigMap's Kafka/etcd addresses (the servers the test runner started), the cluster
 * name (unique per run, so earlier runs on the same servers do not interfere) and POD_NAME per
 * process. Then one CLI with one token and the CA manages the cluster through any of the three
 * nodes, as it would through the `caxton` Service; the read-only token reads but cannot deploy; the
 * kubelet's probe port says SERVING on each.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { caxton, cleanEnv, show } from '../e2e/support/cli.js';
import { freePort } from '../e2e/support/ports.js';
import { builtExample, CAXTON_BIN, ROOT } from '../e2e/support/paths.js';
import { Proc, stopStragglers } from '../e2e/support/processes.js';
import { servers, uniqueCluster, type Servers } from '../cluster/support/servers.js';
import { containerEnv, expandVars, flagValue, localArgs, projectSecret, type Doc } from './support/pod-command.js';

const K8S = path.join(ROOT, 'deploy', 'k8s');
const REPLICAS = 3;
const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;
/** Flags of the StatefulSet another change implements (issue 13, telemetry): dropped, and said so, until serve has them. */
const IMPLEMENTED_ELSEWHERE = new Set(['metrics-addr']);

function exec(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

type HealthClient = grpc.Client & { Check(r: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void };
const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String })) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient } } };
};

/** What a kubelet's gRPC probe does: Check in plaintext, no token. */
async function probe(address: string): Promise<string> {
  const client = new healthPkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve) =>
      client.Check({ service: '' }, (err, r) => resolve(err ? `error ${grpc.status[err.code]}` : r.status)),
    );
  } finally {
    client.close();
  }
}

interface Pod {
  name: string;
  proc: Proc;
  api: number;
  health: number;
  args: string[];
}

describe('the StatefulSet as three local processes', { timeout: 8 * 60_000 }, () => {
  let tmp: string;
  let srv: Servers;
  let python: string;
  let kv: string;
  const pods: Pod[] = [];
  let ca: string;
  let adminToken: string;
  let readToken: string;
  const docs: Doc[] = [];
  const dropped: string[] = [];

  const one = (kind: string, name: string): Doc => {
    const found = docs.filter((d) => d['kind'] === kind && d['metadata']?.name === name);
    assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
    return found[0]!;
  };
  /** The CLI as an operator types it against the `caxton` Service, here through one pod's port. */
  const cli = (pod: Pod, token: string, args: string[]) =>
    caxton(['--addr', `localhost:${pod.api}`, '--tls-ca', ca, '--token', token, ...args]);

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'caxton-sts-'));
    kv = await (await infra()).installKubernetesValidate();
    python = path.join(path.dirname(kv), 'python');
    const files = (await readdir(K8S)).filter((f) => f.endsWith('.yaml')).map((f) => path.join(K8S, f));
    const parsed = await exec(python, [
      '-c',
      'import json, sys, yaml\njson.dump([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d is not None], sys.stdout)',
      ...files,
    ]);
    assert.equal(parsed.code, 0, parsed.stderr);
    docs.push(...(JSON.parse(parsed.stdout) as Doc[]));
    srv = await servers();
  });

  after(async () => {
    await Promise.allSettled(
      pods.map(async (p) => {
        if (p.proc.running) {
          p.proc.child.kill('SIGTERM');
          await p.proc.done;
        }
      }),
    );
    await stopStragglers();
    await srv?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('expands $(VAR) as Kubernetes does', () => {
    const vars = new Map([
      ['POD_NAME', 'caxton-1'],
      ['A', 'x'],
    ]);
    assert.equal(expandVars('--node-id=$(POD_NAME)', vars), '--node-id=caxton-1');
    assert.equal(expandVars('$(A)$(A)-$(MISSING)', vars), 'xx-$(MISSING)', 'an undefined reference stays as written');
    assert.equal(expandVars('$$(A) costs $$5', vars), '$(A) costs $5', '$$ escapes');
    assert.deepEqual(
      localArgs(
        ['--data-dir=/var/lib/caxton', '--cert=/etc/caxton/tls/tls.crt', '--api-port=50051', '--health-addr=0.0.0.0:50052', 'serve'],
        new Map([
          ['/var/lib/caxton', '/t/data'],
          ['/etc/caxton/tls', '/t/tls'],
          ['/etc/caxton', '/t/wrong'],
        ]),
        new Map([
          [50051, 4000],
          [50052, 4001],
        ]),
      ),
      ['--data-dir=/t/data', '--cert=/t/tls/tls.crt', '--api-port=4000', '--health-addr=0.0.0.0:4001', 'serve'],
    );
  });

  it('the Secrets the StatefulSet reads validate, and its pods start from them with the exact command line', async () => {
    // The Secrets deploy/k8s/README.md has the operator create: tokens as `openssl rand -base64 32`,
    // a certificate for the names clients dial, signed by a CA the CLI trusts.
    const rand = async () => {
      const r = await exec('openssl', ['rand', '-base64', '32']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    adminToken = await rand();
    readToken = await rand();
    const pki = path.join(tmp, 'pki');
    await mkdir(pki);
    ca = path.join(pki, 'ca.crt');
    await writeFile(
      path.join(pki, 'san.cnf'),
      'subjectAltName=DNS:caxton.caxton.svc,DNS:caxton.caxton.svc.cluster.local,DNS:*.caxton-nodes.caxton.svc,DNS:localhost,IP:127.0.0.1\n',
    );
    for (const args of [
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '1',
        '-subj',
        '/CN=caxton test CA',
      ],
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'tls.key',
        '-out',
        'tls.csr',
        '-subj',
        '/CN=caxton.caxton.svc',
      ],
      [
        'x509',
        '-req',
        '-in',
        'tls.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'tls.crt',
        '-days',
        '1',
        '-extfile',
        'san.cnf',
      ],
    ]) {
      const r = await exec('openssl', args, { cwd: pki });
      assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    }
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const secrets: Doc[] = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'caxton-api-tokens', namespace: 'caxton' },
        type: 'Opaque',
        data: { 'auth-token': b64(adminToken), 'auth-token.read': b64(readToken) },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'caxton-api-tls', namespace: 'caxton' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64(await readFile(path.join(pki, 'tls.crt'))), 'tls.key': b64(await readFile(path.join(pki, 'tls.key'))) },
      },
    ];
    const { KUBERNETES_SCHEMA_VERSION } = await infra();
    for (const s of secrets) {
      // JSON is YAML: what `kubectl create secret … --dry-run=client -o json` would write.
      const manifest = path.join(tmp, `${s['metadata'].name}.json`);
      await writeFile(manifest, JSON.stringify(s));
      const r = await exec(kv, ['--strict', '-k', KUBERNETES_SCHEMA_VERSION, manifest]);
      assert.equal(r.code, 0, `Secret ${s['metadata'].name}: ${r.stdout}${r.stderr}`);
    }
    docs.push(...secrets);

    const sts = one('StatefulSet', 'caxton');
    const podSpec = sts['spec'].template.spec as Doc;
    const container = (podSpec['containers'] as Doc[]).find((c) => c['name'] === 'caxton')!;
    assert.equal(sts['spec'].replicas, REPLICAS);
    const namespace = (docs.find((d) => d['kind'] === 'Kustomization')?.['namespace'] as string | undefined) ?? 'default';
    const configMaps: Record<string, Record<string, string>> = {};
    for (const cm of docs.filter((d) => d['kind'] === 'ConfigMap')) configMaps[cm['metadata'].name] = { ...cm['data'] };
    // The one ConfigMap change: where Kafka and etcd are, and a cluster name of this run's own.
    const cm = configMaps['caxton-config']!;
    assert.ok(cm['CAXTON_KAFKA'] && cm['CAXTON_ETCD'] && cm['CAXTON_CLUSTER'], 'the ConfigMap sets Kafka, etcd and the cluster');
    Object.assign(cm, { CAXTON_KAFKA: srv.kafka, CAXTON_ETCD: srv.etcd, CAXTON_CLUSTER: uniqueCluster('sts') });

    // The image: ENTRYPOINT node <script>, and its ENV (NODE_OPTIONS), from the Dockerfile.
    const dockerfile = await readFile(path.join(K8S, 'Dockerfile'), 'utf8');
    const entry = JSON.parse(/^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)![1]!) as string[];
    assert.equal(entry[0], 'node');
    assert.equal(
      path.posix.relative('/opt/caxton', entry[1]!),
      path.relative(ROOT, CAXTON_BIN),
      "the entrypoint is the repository's caxton",
    );
    const imageEnv: Record<string, string> = {};
    for (const m of dockerfile.matchAll(/^ENV\s+([A-Z_]+)=(.*)$/gm)) imageEnv[m[1]!] = m[2]!;
    const knownFlags = (await caxton(['serve', '--help'])).stdout;

    for (let i = 0; i < REPLICAS; i++) {
      const name = `${sts['metadata'].name}-${i}`;
      const env = containerEnv(container, { fields: { 'metadata.name': name, 'metadata.namespace': namespace }, configMaps });
      // Volumes: per pod (data, tmp) or shared Secrets, each a local directory.
      const mounts = new Map<string, string>();
      for (const m of container['volumeMounts'] as Doc[]) {
        const vol = ((podSpec['volumes'] as Doc[] | undefined) ?? []).find((v) => v['name'] === m['name']);
        const local = path.join(tmp, vol?.['secret'] ? 'secrets' : name, m['name']);
        if (vol?.['secret']) {
          if (i === 0) await projectSecret(vol, one('Secret', vol['secret'].secretName), local);
        } else {
          await mkdir(local, { recursive: true, mode: 0o700 });
        }
        mounts.set(m['mountPath'], local);
      }
      const ports = new Map<number, number>();
      for (const p of container['ports'] as Doc[]) ports.set(p['containerPort'], await freePort());
      let args = localArgs(
        (container['args'] as string[]).map((a) => expandVars(a, env)),
        mounts,
        ports,
      );
      args = args.filter((a) => {
        const flag = /^--([^=]+)/.exec(a)?.[1];
        if (!flag || !IMPLEMENTED_ELSEWHERE.has(flag) || knownFlags.includes(`--${flag}`)) return true;
        dropped.push(a);
        return false;
      });
      for (const a of args) {
        const flag = /^--([^=]+)/.exec(a)?.[1];
        if (flag) assert.ok(knownFlags.includes(`--${flag}`), `caxton serve has --${flag}`);
      }
      assert.ok(!args.some((a) => a.includes('$(')), `every $(VAR) is defined: ${args.join(' ')}`);
      const apiPort = ports.get((container['ports'] as Doc[]).find((p) => p['name'] === 'grpc')!['containerPort'])!;
      const healthPort = ports.get((container['ports'] as Doc[]).find((p) => p['name'] === 'health')!['containerPort'])!;
      const proc = new Proc(process.execPath, [...(imageEnv['NODE_OPTIONS'] ?? '').split(' ').filter(Boolean), CAXTON_BIN, ...args], {
        env: cleanEnv({ ...Object.fromEntries(env), NODE_OPTIONS: undefined }),
        cwd: ROOT,
        timeoutMs: 8 * 60_000,
      });
      pods.push({ name, proc, api: apiPort, health: healthPort, args });
    }
    if (dropped.length > 0) process.stderr.write(`# not in caxton serve yet, left out of the local run: ${dropped.join(' ')}\n`);
    // The token line follows the serving line on stderr (and may arrive in a later chunk): wait for it.
    const tokenLine = /clients authenticate with the token in .*\/api-tokens\/auth-token \(read-only: .*\/api-tokens\/auth-token\.read\)/;
    await Promise.all(
      pods.map((p) =>
        p.proc.waitFor((x) => /serving the API on .* \(TLS\)/.test(x.stderr) && tokenLine.test(x.stderr), `${p.name}: serving`, 120_000),
      ),
    );
    for (const p of pods) {
      assert.equal(flagValue(p.args, 'node-id'), p.name, 'POD_NAME became the node id');
      assert.match(p.proc.stderr, tokenLine);
    }
  });

  it('the probe port answers SERVING on every pod, in plaintext and without a token', async () => {
    for (const p of pods) {
      let status = '';
      for (let t = 0; t < 100 && status !== 'SERVING'; t++) {
        status = await probe(`127.0.0.1:${p.health}`);
        if (status !== 'SERVING') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 'SERVING', `${p.name} health`);
    }
  });

  it('one admin token and the CA manage the cluster through any pod: deploy via 1, list via all, status via 3, send via 2', async () => {
    const [p1, p2, p3] = pods as [Pod, Pod, Pod];
    const deployed = await cli(p1, adminToken, ['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'echo', '--quiet']);
    assert.equal(deployed.code, 0, show(deployed));
    const running = async (p: Pod): Promise<string[]> => {
      const r = await cli(p, adminToken, ['agents', '--json']);
      assert.equal(r.code, 0, show(r));
      return (JSON.parse(r.stdout) as { name: string; state: string }[]).map((a) => `${a.name}:${a.state}`).sort();
    };
    let lists: string[][] = [];
    for (let t = 0; t < 60; t++) {
      lists = await Promise.all(pods.map(running));
      if (lists.every((l) => l.join() === 'echo:running')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(
      lists,
      pods.map(() => ['echo:running']),
      'every pod lists the same agents',
    );
    const status = await cli(p3, adminToken, ['status', '--json']);
    assert.equal(status.code, 0, show(status));
    const nodes = (JSON.parse(status.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id).sort();
    assert.deepEqual(
      nodes,
      pods.map((p) => p.name),
      'pod 3 sees all three members',
    );
    const sent = await cli(p2, adminToken, ['send', 'echo', 'request', 'through the Service', '--wait', '--json', '--timeout', '30']);
    assert.equal(sent.code, 0, show(sent));
    const reply = sent.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message?: { performative: string; content: string } })
      .find((l) => l.message);
    assert.deepEqual([reply?.message?.performative, reply?.message?.content], ['inform', 'through the Service']);
  });

  it('the read-only token reads through every pod and may not deploy through any', async () => {
    for (const p of pods) {
      const r = await cli(p, readToken, ['agents', '--json']);
      assert.equal(r.code, 0, show(r));
      const refused = await cli(p, readToken, ['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', `echo-${p.name}`, '--quiet']);
      assert.equal(refused.code, 5, show(refused));
      assert.match(refused.stderr, /read-only token may not call/);
    }
    const wrong = await cli(pods[0]!, 'not-the-token-but-long-enough-to-look-like-one', ['agents']);
    assert.equal(wrong.code, 5, show(wrong));
  });
});
