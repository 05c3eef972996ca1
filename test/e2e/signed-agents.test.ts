/**
 * Signed agents as an operator meets them (decision 1400), with real `caxton` processes: keys from
 * `caxton keygen`, signatures from `caxton sign` and `caxton build --sign`, a `caxton serve` that
 * requires a trusted signature and one that only warns. Under `require` an unsigned artifact, one
 * signed by a key the node does not trust and one whose bytes changed after signing are each
 * refused, on deploy and on upgrade, with the key ids the node accepts; a properly signed one runs,
 * and `caxton agents` shows who signed it. Under `warn` the same artifacts deploy with a warning in
 * the agent's log.
 */
import assert from 'node:assert/strict';
import { appendFile, copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

/** A custom section (id 0, name "edit"): the component stays valid, only its bytes differ. */
const CUSTOM_SECTION = Buffer.from([0x00, 0x05, 0x04, 0x65, 0x64, 0x69, 0x74]);

interface AgentJson {
  name: string;
  version: number;
  signerKeyId?: string;
  artifactDigest: string;
}

describe('signed agents through the CLI, against a real caxton serve', () => {
  let work: string;
  let trustedKeyId: string;
  let strangerKeyId: string;
  let strict: Serve;
  let lenient: Serve;
  const file = (name: string): string => path.join(work, name);

  before(async () => {
    work = await tempDir('caxton-e2e-signed-');
    for (const [out, set] of [
      ['trusted', (id: string) => (trustedKeyId = id)],
      ['stranger', (id: string) => (strangerKeyId = id)],
    ] as const) {
      const r = await caxton(['keygen', '--out', file(out), '--json'], { cwd: work });
      assert.equal(r.code, 0, show(r));
      set((JSON.parse(r.stdout) as { keyId: string }).keyId);
    }
    // The four artifacts: signed by the trusted key; unsigned; signed by the stranger; changed after signing.
    for (const name of ['good', 'unsigned', 'stranger', 'changed'])
      await copyFile(builtExample('as-echo', 'as-echo.wasm'), file(`${name}.wasm`));
    for (const [name, key] of [
      ['good', 'trusted'],
      ['stranger', 'stranger'],
      ['changed', 'trusted'],
    ]) {
      const r = await caxton(['sign', `${name}.wasm`, '--key', path.join(key!, 'agent-signing.key'), '--agent-version', '1.0.0'], {
        cwd: work,
      });
      assert.equal(r.code, 0, show(r));
    }
    await appendFile(file('changed.wasm'), CUSTOM_SECTION);
    strict = await startServe({ args: ['--trust', file('trusted/agent-signing.pub'), '--trust-policy', 'require'] });
    lenient = await startServe({ args: ['--trust', file('trusted')] }); // a directory of keys; default policy: warn
  });
  after(async () => {
    await stopStragglers();
    for (const s of [strict, lenient]) if (s?.proc.running) await s.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('keygen writes a 0600 PKCS#8 private key and a public key; a second keygen does not overwrite it', async () => {
    const { stat } = await import('node:fs/promises');
    assert.equal(((await stat(file('trusted/agent-signing.key'))).mode & 0o777).toString(8), '600');
    assert.match(await readFile(file('trusted/agent-signing.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(await readFile(file('trusted/agent-signing.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.match(trustedKeyId, /^[0-9a-f]{16}$/);
    const again = await caxton(['keygen', '--out', 'trusted'], { cwd: work });
    assert.equal(again.code, 6, show(again));
    assert.match(again.stderr, /agent-signing\.key already exists/);
  });

  it('serve says what it requires and which keys it trusts', () => {
    assert.match(strict.proc.stderr, new RegExp(`agent signatures: require; trusted keys: ${trustedKeyId}`));
    assert.match(lenient.proc.stderr, new RegExp(`agent signatures: warn; trusted keys: ${trustedKeyId}`));
  });

  it('require: refuses unsigned, untrusted and changed-after-signing artifacts, naming the accepted key ids', async () => {
    const cases: [string, RegExp][] = [
      ['unsigned', /the artifact is not signed/],
      ['stranger', new RegExp(`signed by ${strangerKeyId}, a key this node does not trust`)],
      ['changed', /its bytes changed after signing/],
    ];
    const results = await Promise.all(cases.map(([name]) => caxton(['deploy', `${name}.wasm`, '-q', ...strict.conn], { cwd: work })));
    for (const [i, [name, why]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 5, `${name}: ${show(r)}`);
      assert.match(r.stderr, why, name);
      assert.match(r.stderr, new RegExp(`hint: this node requires a signature by one of the keys ${trustedKeyId}`), name);
    }
    const list = await caxton(['agents', '--json', ...strict.conn]);
    assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was deployed');
  });

  it('require: a properly signed artifact deploys, and agents shows its signer (table, detail, --json)', async () => {
    const r = await caxton(['deploy', 'good.wasm', '--name', 'echo', '-q', ...strict.conn], { cwd: work });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /signature: good\.wasm\.dsse\.json/);
    assert.match(r.stdout, new RegExp(`signed by +key ${trustedKeyId}`));
    const [list, tableRun, logs, reply] = await Promise.all([
      caxton(['agents', '--json', ...strict.conn]),
      caxton(['agents', ...strict.conn]),
      caxton(['logs', 'echo', ...strict.conn]),
      caxton(['send', 'echo', 'request', 'signed hello', '--wait', '--json', ...strict.conn]),
    ]);
    const json = JSON.parse(list.stdout) as AgentJson[];
    assert.deepEqual(
      json.map((a) => [a.name, a.signerKeyId]),
      [['echo', trustedKeyId]],
    );
    const table = tableRun.stdout;
    assert.match(table, /SIGNER/);
    assert.match(table, new RegExp(`echo .* ${trustedKeyId}`));
    assert.match(logs.stdout, new RegExp(`artifact signed by trusted key ${trustedKeyId} \\(good 1\\.0\\.0\\)`));
    assert.equal(reply.code, 0, show(reply));
    assert.match(reply.stdout, /signed hello/);
  });

  it('require: the same refusals on upgrade leave version 1 running; a signed new version upgrades', async () => {
    const refusals = ['unsigned', 'stranger', 'changed'];
    const results = await Promise.all(
      refusals.map((name) => caxton(['upgrade', 'echo', `${name}.wasm`, '-q', ...strict.conn], { cwd: work })),
    );
    for (const [i, name] of refusals.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 5, `${name}: ${show(r)}`);
      assert.match(r.stderr, /signing|signed|signature/);
    }
    let echo = JSON.parse((await caxton(['agents', 'echo', '--json', ...strict.conn])).stdout) as AgentJson;
    assert.equal(echo.version, 1);
    // Version 2: the changed bytes, signed again as they are now.
    await copyFile(file('changed.wasm'), file('v2.wasm'));
    const sign = await caxton(['sign', 'v2.wasm', '--key', 'trusted/agent-signing.key'], { cwd: work });
    assert.equal(sign.code, 0, show(sign));
    const up = await caxton(['upgrade', 'echo', 'v2.wasm', '-q', '--json', ...strict.conn], { cwd: work });
    assert.equal(up.code, 0, show(up));
    echo = (JSON.parse(up.stdout) as { agent: AgentJson }).agent;
    assert.equal(echo.version, 2);
    assert.equal(echo.signerKeyId, trustedKeyId);
    assert.notEqual(
      echo.artifactDigest,
      JSON.parse((await caxton(['sign', 'good.wasm', '--key', 'trusted/agent-signing.key', '--json'], { cwd: work })).stdout).statement
        .sha256,
    );
  });

  it('build --sign writes the signature next to the artifact it built', async () => {
    const out = file('built');
    const r = await caxton(['build', builtExample('as-echo', '..'), '--out-dir', out, '--sign', 'trusted/agent-signing.key', '--json'], {
      cwd: work,
    });
    assert.equal(r.code, 0, show(r));
    const built = JSON.parse(r.stdout) as { artifactPath: string; signature: string; signerKeyId: string; sha256: string };
    assert.equal(built.signature, `${built.artifactPath}.dsse.json`);
    assert.equal(built.signerKeyId, trustedKeyId);
    const envelope = JSON.parse(await readFile(built.signature, 'utf8')) as {
      payloadType: string;
      payload: string;
      signatures: { keyid: string }[];
    };
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    assert.deepEqual(
      envelope.signatures.map((s) => s.keyid),
      [trustedKeyId],
    );
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as {
      subject: { digest: { sha256: string } }[];
      predicate: { name: string; language: string };
    };
    assert.equal(statement.subject[0]!.digest.sha256, built.sha256);
    assert.deepEqual(statement.predicate, { name: 'as-echo', language: 'assemblyscript' });
  });

  it("warn: unsigned and changed artifacts deploy, with a warning in the agent's log and no signer", async () => {
    const [good] = await Promise.all([
      caxton(['deploy', 'good.wasm', '-q', '--json', ...lenient.conn], { cwd: work }),
      ...['unsigned', 'changed'].map(async (name) => {
        const r = await caxton(['deploy', `${name}.wasm`, '-q', '--json', ...lenient.conn], { cwd: work });
        assert.equal(r.code, 0, `${name}: ${show(r)}`);
        assert.equal((JSON.parse(r.stdout) as AgentJson).signerKeyId, undefined);
        const logs = await caxton(['logs', name, ...lenient.conn]);
        assert.match(logs.stdout, /untrusted artifact: .*under require it would be refused/, name);
      }),
    ]);
    assert.equal((JSON.parse(good!.stdout) as AgentJson).signerKeyId, trustedKeyId);
  });

  it('an explicit --signature that does not match is sent as given and refused', async () => {
    await writeFile(file('other.dsse.json'), await readFile(file('stranger.wasm.dsse.json')));
    const r = await caxton(['deploy', 'good.wasm', '--name', 'echo2', '--signature', 'other.dsse.json', '-q', ...strict.conn], {
      cwd: work,
    });
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, new RegExp(`signed by ${strangerKeyId}`));
  });
});
