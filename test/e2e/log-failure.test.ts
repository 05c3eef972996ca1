/**
 * A node whose message log stops for good tells the truth: grpc.health.v1 turns NOT_SERVING and new
 * work is refused with UNAVAILABLE and the reason, instead of the node answering SERVING while it
 * can persist nothing. The failure is real: `caxton serve` runs with a file-size limit
 * (`ulimit -f`, SIGXFSZ ignored, as a full disk would), so the log's segment write fails with EFBIG
 * once the segment outgrows it — what ENOSPC or EIO do to a node in production.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import { CaxtonClient } from '@caxton/runtime';
import { cleanEnv } from './support/cli.js';
import { builtExample, CAXTON_BIN } from './support/paths.js';
import { Proc, stopStragglers } from './support/processes.js';
import { lookupService } from './support/reflection-client.js';

/** KiB: bigger than every other file the node writes (token, journal, a 20 KB component). */
const FILE_LIMIT_KIB = 256;

describe('a node whose message log fails', () => {
  let dir: string;
  let proc: Proc;
  let address = '';
  let client: CaxtonClient;
  let health: grpc.Client;
  /** The plaintext health-only port (serve --health-addr), where the kubelet's probes go. */
  let healthPort: grpc.Client;

  const check = (on: grpc.Client = health): Promise<string> =>
    new Promise((resolve, reject) =>
      (on as unknown as { Check(r: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void }).Check(
        { service: 'caxton.v1.Caxton' },
        (e, r) => (e ? reject(e) : resolve(r.status)),
      ),
    );

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'caxton-e2e-logfail-'));
    const dataDir = path.join(dir, 'data');
    // bash: ignore SIGXFSZ (so a too-big write fails with EFBIG instead of killing the process;
    // ignored signals stay ignored across exec) and cap file sizes, then exec the real serve.
    proc = new Proc(
      'bash',
      [
        '-c',
        `trap '' XFSZ; ulimit -f ${FILE_LIMIT_KIB}; exec "$@"`,
        'serve-under-ulimit',
        process.execPath,
        CAXTON_BIN,
        'serve',
        '--json',
        '--data-dir',
        dataDir,
        '--api-port',
        '0',
        '--health-addr',
        '127.0.0.1:0',
      ],
      { env: cleanEnv(), timeoutMs: 10 * 60_000 },
    );
    let healthAddress = '';
    await proc.waitFor(
      (p) => {
        const line = p.stdout.split('\n').find((l) => l.includes('"serving"'));
        if (line) ({ address, health: healthAddress } = JSON.parse(line) as { address: string; health: string });
        return address !== '';
      },
      'caxton serve: the serving event',
      60_000,
    );
    client = await CaxtonClient.connect({ address, token: readFileSync(path.join(dataDir, 'auth-token'), 'utf8').trim() });
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String }));
    const Health = lookupService(pkg, 'grpc.health.v1.Health');
    health = new Health(address, grpc.credentials.createInsecure());
    healthPort = new Health(healthAddress, grpc.credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    health?.close();
    healthPort?.close();
    await stopStragglers();
    if (proc?.running) await proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports NOT_SERVING and refuses new work with the reason once the log has stopped', async () => {
    const bytes = readFileSync(builtExample('as-echo', 'as-echo.wasm'));
    await client.deploy({ name: 'echo', config: {} }, bytes);
    assert.equal(await check(), 'SERVING');
    assert.equal(await check(healthPort), 'SERVING', 'the health-only port says the same');
    // Fill the log: every message and its completion are appended to the active segment.
    const content = 'x'.repeat(2_000);
    let refusal: (Error & { code?: string; grpcCode?: number; hint?: string }) | undefined;
    for (let i = 0; i < 2_000 && refusal === undefined; i++) {
      try {
        await client.send({ structured: { performative: 'inform', receivers: [{ name: 'echo' }], content } });
      } catch (err) {
        refusal = err as typeof refusal;
      }
    }
    assert.ok(refusal, `the log never failed: is ulimit -f ${FILE_LIMIT_KIB} in effect?`);
    // The send that hit the failure may report the log's own error; from then on the node refuses.
    let status = '';
    for (let i = 0; i < 40 && status !== 'NOT_SERVING'; i++) {
      status = await check();
      if (status !== 'NOT_SERVING') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'NOT_SERVING');
    // What a kubelet's probe sees: the health-only port follows within a poll (250 ms).
    let probed = '';
    for (let i = 0; i < 20 && probed !== 'NOT_SERVING'; i++) {
      probed = await check(healthPort);
      if (probed !== 'NOT_SERVING') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(probed, 'NOT_SERVING', 'the health-only port reports the stopped log too');
    const next = await client.send({ structured: { performative: 'inform', receivers: [{ name: 'echo' }], content: 'more' } }).then(
      () => undefined,
      (err: unknown) => err as Error & { grpcCode?: number; hint?: string },
    );
    assert.ok(next, 'a send after the failure is refused');
    assert.equal(next.grpcCode, grpc.status.UNAVAILABLE);
    assert.match(next.message, /message log has stopped/);
    assert.match(next.hint ?? '', /restart the node/);
    assert.ok(proc.running, 'the node itself keeps running and answering');
    const listed = await client.listAgents();
    assert.equal(listed.length, 1, 'reads still work');
  });
});
