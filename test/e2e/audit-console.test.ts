/**
 * Changes made from the web console are audited like the API's (decision 1701): a real
 * `caxton serve --http`, the console's HTTP API driven as the page drives it, and the trail read
 * back with real `caxton audit` processes. A deploy, an upgrade and a stop each appear as an intent
 * and an outcome, with the caller's role, token fingerprint and console address; a change the read
 * token is refused is recorded too; the chain verifies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditRecord } from '@caxton/core';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** The console's URL, from the `serving` event `caxton serve --json` printed. */
function consoleUrl(serve: Serve): string {
  for (const line of serve.proc.stdout.split('\n')) {
    try {
      const e = JSON.parse(line) as { event?: string; console?: string };
      if (e.event === 'serving' && e.console) return e.console;
    } catch {
      // not JSON
    }
  }
  throw new Error(`no console URL in: ${serve.proc.stdout}`);
}

describe('console changes in the audit trail, against a real caxton serve --http', () => {
  const started: Serve[] = [];
  after(async () => {
    await stopStragglers();
    for (const s of started) if (s.proc.running) await s.stop();
  });

  it('records a console deploy, upgrade and stop as intent + outcome, and a refused one, with who and from where', async () => {
    const serve = await startServe({ args: ['--http', '127.0.0.1:0'] });
    started.push(serve);
    const base = consoleUrl(serve);
    const admin = serve.token();
    const reader = (await readFile(path.join(serve.dataDir, 'auth-token.read'), 'utf8')).trim();
    const wasm = await readFile(builtExample('as-echo', 'as-echo.wasm'));
    const post = (route: string, token: string, body?: Buffer): Promise<Response> =>
      fetch(new URL(route, base), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/wasm' } : {}) },
        ...(body ? { body } : {}),
      });

    const deployed = await post('/api/agents?name=echo&language=assemblyscript', admin, wasm);
    assert.equal(deployed.status, 200, await deployed.text());
    const upgraded = await post('/api/agents/echo/upgrade', admin, wasm);
    assert.equal(upgraded.status, 200, await upgraded.text());
    const refused = await post('/api/agents/echo/stop', reader);
    assert.equal(refused.status, 403, 'the read token may not stop');
    const stopped = await post('/api/agents/echo/stop', admin);
    assert.equal(stopped.status, 200, await stopped.text());
    const failed = await post('/api/agents/echo/stop', admin);
    assert.equal(failed.status, 404, 'stopping it again: not found');

    const listed = await caxton(['audit', '--json', ...serve.conn]);
    assert.equal(listed.code, 0, show(listed));
    const trail = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    assert.deepEqual(
      trail.map(
        (r) =>
          `${r.index} ${r.kind ?? 'call'} ${r.method} ${r.role} ${r.kind === 'intent' ? r.args.fields.agent : `${r.result.code} ${r.result.error}`}`,
      ),
      [
        '0 intent DeployAgent admin echo',
        '1 outcome DeployAgent admin OK ',
        '2 intent UpgradeAgent admin echo',
        '3 outcome UpgradeAgent admin OK ',
        '4 call StopAgent read PERMISSION_DENIED api.permission-denied',
        '5 intent StopAgent admin echo',
        '6 outcome StopAgent admin OK ',
        '7 intent StopAgent admin echo',
        '8 outcome StopAgent admin NOT_FOUND agent.not-found',
      ],
    );
    assert.deepEqual(
      trail.map((r) => r.token),
      trail.map((r) => fingerprint(r.role === 'read' ? reader : admin)),
    );
    assert.ok(
      trail.every((r) => /^console 127\.0\.0\.1:\d+$/.test(r.peer) && r.node === serve.nodeId),
      trail.map((r) => r.peer).join(', '),
    );
    const [deployIntent] = trail;
    assert.ok(deployIntent?.kind === 'intent');
    assert.equal(deployIntent.args.fields.artifact, createHash('sha256').update(wasm).digest('hex'));

    const human = await caxton(['audit', ...serve.conn]);
    assert.equal(human.code, 0, show(human));
    assert.match(
      human.stdout,
      /^#0 {2}\S+Z {2}\S+ {2}DeployAgent {2}admin [0-9a-f]{8} {2}console 127\.0\.0\.1:\d+ {2}agent=echo artifact=[0-9a-f]{64} {2}OK \(#1\)$/m,
    );
    assert.match(human.stdout, /^#7 .* StopAgent .* NOT_FOUND agent\.not-found \(#8\)$/m);
    const verify = await caxton(['audit', 'verify', ...serve.conn]);
    assert.equal(verify.code, 0, show(verify));
    assert.match(verify.stdout, /audit trail intact: 9 records, head #8/);
  });
});
