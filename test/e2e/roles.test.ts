/**
 * Roles and issued tokens as operators meet them (decision 1760), with real `caxton` processes
 * against a real `caxton serve`: `token issue/list/revoke --json`; a deployer may deploy but not
 * freeze, an operator may freeze but not deploy; an observer sees config redacted and cannot read
 * state; a token confined to `team-a-*` acts on those agents only; an expired and a revoked token
 * are refused with their own message; and every refusal, issue and revocation is in `caxton audit`.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '@caxton/core';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

interface Issued {
  token: string;
  issued: { id: string; label: string; role: string; agents?: string; createdAt: number; expiresAt: number; revokedAt?: number };
}

describe('roles and issued tokens through the CLI, against a real caxton serve', () => {
  let work: string;
  let serve: Serve;
  const wasm = builtExample('as-echo', 'as-echo.wasm');
  /** A client elsewhere on the machine: no data dir, the token in CAXTON_TOKEN. */
  const as = (token: string, args: string[]): ReturnType<typeof caxton> =>
    caxton([...args, '--addr', serve.address], { cwd: work, env: { CAXTON_TOKEN: token } });
  const admin = (args: string[]): ReturnType<typeof caxton> => as(serve.token(), args);
  const issue = async (args: string[]): Promise<Issued> => {
    const r = await admin(['token', 'issue', ...args, '--json']);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Issued;
  };
  let deployer: Issued;
  let operator: Issued;
  let observer: Issued;
  let teamA: Issued;

  before(async () => {
    work = await tempDir('caxton-e2e-roles-');
    serve = await startServe();
    const d = await admin(['deploy', wasm, '--name', 'echo', '--config', 'apiKey=sk-secret-123', '-q']);
    assert.equal(d.code, 0, show(d));
    deployer = await issue(['--role', 'deployer', '--name', 'ci']);
    operator = await issue(['--role', 'operator', '--ttl', '1h']);
    observer = await issue(['--role', 'observer', '--name', 'dashboard']);
    teamA = await issue(['--role', 'deployer', '--agents', 'team-a-*', '--name', 'team-a']);
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('token issue --json prints the token once with its id, role, agents and expiry; list --json shows them without values', async () => {
    assert.match(deployer.token, /^cxt_[A-Za-z0-9_-]{43}$/);
    assert.match(deployer.issued.id, /^[0-9a-f]{16}$/);
    assert.equal(deployer.issued.role, 'deployer');
    assert.equal(deployer.issued.label, 'ci');
    assert.ok(Math.abs(deployer.issued.expiresAt - deployer.issued.createdAt - 24 * 3_600_000) < 1000, 'default --ttl is 24h');
    assert.equal(operator.issued.expiresAt - operator.issued.createdAt, 3_600_000);
    assert.equal(teamA.issued.agents, 'team-a-*');
    const list = await admin(['token', 'list', '--json']);
    assert.equal(list.code, 0, show(list));
    const tokens = JSON.parse(list.stdout) as Issued['issued'][];
    assert.deepEqual(tokens.map((t) => t.id).sort(), [deployer, operator, observer, teamA].map((t) => t.issued.id).sort());
    for (const t of [deployer, operator, observer, teamA]) assert.ok(!list.stdout.includes(t.token.slice(4)), 'list never shows a token');
    assert.deepEqual(
      tokens.find((t) => t.id === teamA.issued.id),
      teamA.issued,
    );
    const human = await admin(['token', 'list']);
    assert.match(human.stdout, new RegExp(`^${teamA.issued.id} +team-a +deployer +team-a-\\* +\\S+ +valid$`, 'm'));
  });

  it('only tokens.manage (admin) may issue, list or revoke', async () => {
    for (const args of [
      ['token', 'issue', '--role', 'admin'],
      ['token', 'list'],
      ['token', 'revoke', deployer.issued.id],
    ]) {
      const r = await as(operator.token, args);
      assert.equal(r.code, 5, show(r));
      assert.match(r.stderr, /hint: it needs permission tokens\.manage, which roles admin hold/);
    }
  });

  it('a deployer deploys and stops but cannot freeze; an operator freezes and thaws but cannot deploy', async () => {
    const deployed = await as(deployer.token, ['deploy', wasm, '--name', 'echo2', '-q']);
    assert.equal(deployed.code, 0, show(deployed));
    const freeze = await as(deployer.token, ['freeze']);
    assert.equal(freeze.code, 5, show(freeze));
    assert.match(freeze.stderr, new RegExp(`^caxton: token ${deployer.issued.id} \\(role deployer\\) may not call Freeze$`, 'm'));
    assert.match(freeze.stderr, /hint: it needs permission node\.freeze, which roles admin, operator hold/);
    const frozen = await as(operator.token, ['freeze']);
    assert.equal(frozen.code, 0, show(frozen));
    const thawed = await as(operator.token, ['thaw']);
    assert.equal(thawed.code, 0, show(thawed));
    const opDeploy = await as(operator.token, ['deploy', wasm, '--name', 'echo3', '-q']);
    assert.equal(opDeploy.code, 5, show(opDeploy));
    assert.match(opDeploy.stderr, /may not call DeployAgent\n.*hint: it needs permission agents\.deploy/);
    const stopped = await as(operator.token, ['stop', 'echo2']);
    assert.equal(stopped.code, 0, show(stopped));
  });

  it('an observer sees agents with config values redacted and cannot read state; admin can', async () => {
    const detail = await as(observer.token, ['agents', 'echo', '--json']);
    assert.equal(detail.code, 0, show(detail));
    assert.deepEqual((JSON.parse(detail.stdout) as { config: Record<string, string> }).config, { apiKey: '<redacted>' });
    for (const args of [
      ['state', 'echo', 'list'],
      ['state', 'echo', 'get', 'count'],
    ]) {
      const r = await as(observer.token, args);
      assert.equal(r.code, 5, show(r));
      assert.match(r.stderr, /may not call (ListState|GetState)\n.*hint: it needs permission state\.read/);
    }
    const adminList = await admin(['state', 'echo', 'list']);
    assert.notEqual(adminList.code, 5, show(adminList));
    const operatorSees = await as(operator.token, ['agents', 'echo', '--json']);
    assert.deepEqual((JSON.parse(operatorSees.stdout) as { config: Record<string, string> }).config, { apiKey: 'sk-secret-123' });
  });

  it('a token confined to team-a-* deploys and sees team-a agents only, and is refused node-wide calls', async () => {
    const outside = await as(teamA.token, ['deploy', wasm, '--name', 'team-b-echo', '-q']);
    assert.equal(outside.code, 5, show(outside));
    assert.match(outside.stderr, /confined to agents team-a-\*: DeployAgent on team-b-echo is outside them/);
    const inside = await as(teamA.token, ['deploy', wasm, '--name', 'team-a-echo', '-q']);
    assert.equal(inside.code, 0, show(inside));
    const listed = await as(teamA.token, ['agents', '--json']);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { name: string }[]).map((a) => a.name),
      ['team-a-echo'],
    );
    const stopEcho = await as(teamA.token, ['stop', 'echo']);
    assert.equal(stopEcho.code, 5, show(stopEcho));
    const tail = await as(teamA.token, ['logs', 'team-a-echo']);
    assert.equal(tail.code, 5, show(tail));
    assert.match(tail.stderr, /StreamLogs acts on the whole node/);
  });

  it('an expired token and a revoked token are refused (exit 5) saying which and since when', async () => {
    const brief = await issue(['--role', 'observer', '--ttl', '1s', '--name', 'brief']);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, brief.issued.expiresAt - Date.now()) + 200));
    const expired = await as(brief.token, ['agents']);
    assert.equal(expired.code, 5, show(expired));
    assert.match(expired.stderr, new RegExp(`rejected the token from CAXTON_TOKEN: token ${brief.issued.id} \\(brief\\) expired at \\S+Z`));
    assert.match(expired.stderr, /hint: ask an admin for a new one/);

    const before = await as(observer.token, ['agents']);
    assert.equal(before.code, 0, show(before));
    const revoke = await admin(['token', 'revoke', observer.issued.id, '--json']);
    assert.equal(revoke.code, 0, show(revoke));
    const revoked = JSON.parse(revoke.stdout) as Issued['issued'];
    assert.equal(revoked.id, observer.issued.id);
    assert.ok(revoked.revokedAt !== undefined && revoked.revokedAt <= Date.now());
    const after = await as(observer.token, ['agents']);
    assert.equal(after.code, 5, show(after));
    assert.match(after.stderr, new RegExp(`token ${observer.issued.id} \\(dashboard\\) was revoked at`));
    const list = JSON.parse((await admin(['token', 'list', '--json'])).stdout) as Issued['issued'][];
    assert.equal(list.find((t) => t.id === observer.issued.id)?.revokedAt, revoked.revokedAt);
    const human = await admin(['token', 'list']);
    assert.match(human.stdout, new RegExp(`^${brief.issued.id} +brief +observer +\\(all\\) +\\S+ +expired$`, 'm'));
  });

  it('every refusal, issue and revocation is in the audit trail, with the role and the token id', async () => {
    const listed = await admin(['audit', '--json']);
    assert.equal(listed.code, 0, show(listed));
    const trail = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    const calls = trail
      .filter((r) => r.kind === undefined)
      .map((r) => `${r.method} ${r.role} ${r.token} ${r.kind === undefined ? `${r.result.code} ${r.result.error}` : ''}`);
    const expect = (line: string): void => assert.ok(calls.includes(line), `${line} is not among the recorded calls:\n${calls.join('\n')}`);
    expect(`Freeze deployer ${deployer.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`DeployAgent operator ${operator.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`ListState observer ${observer.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`GetState observer ${observer.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`DeployAgent deployer ${teamA.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`IssueToken operator ${operator.issued.id} PERMISSION_DENIED api.permission-denied`);
    expect(`ListAgents none ${observer.issued.id} UNAUTHENTICATED api.token-revoked`);
    assert.ok(
      calls.some((c) => /^ListAgents none [0-9a-f]{16} UNAUTHENTICATED api\.token-expired$/.test(c)),
      calls.join('\n'),
    );
    // Issues and revocations are changes: written ahead (intent, then outcome), by admin.
    const intents = trail.filter((r) => r.kind === 'intent' && (r.method === 'IssueToken' || r.method === 'RevokeToken'));
    assert.deepEqual(
      intents.filter((r) => r.method === 'IssueToken').map((r) => r.kind === 'intent' && r.args.fields.role),
      ['deployer', 'operator', 'observer', 'deployer', 'observer'],
    );
    // Each issue's intent names the new token by its id, written before the token existed (never the secret).
    const issuedIds = intents.filter((r) => r.method === 'IssueToken').map((r) => r.kind === 'intent' && r.args.fields.tokenId);
    assert.deepEqual(issuedIds.slice(0, 4), [deployer.issued.id, operator.issued.id, observer.issued.id, teamA.issued.id]);
    assert.match(String(issuedIds[4]), /^[0-9a-f]{16}$/);
    assert.deepEqual(
      intents.filter((r) => r.method === 'RevokeToken').map((r) => r.kind === 'intent' && r.args.fields.tokenId),
      [observer.issued.id],
    );
    assert.ok(intents.every((r) => r.role === 'admin'));
    assert.ok(!listed.stdout.includes(deployer.token.slice(4)), 'no token in the trail');
    // Changes made with an issued token are recorded as its role and id.
    assert.ok(trail.some((r) => r.kind === 'intent' && r.method === 'Freeze' && r.role === 'operator' && r.token === operator.issued.id));
  });
});
