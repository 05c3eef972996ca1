/** serve's orchestrator flags (serve-k8s-options.ts): token files, the health port, their env variables. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../src/app.js';
import { k8sNodeOptions } from '../src/commands/serve-k8s-options.js';
import { captureIo } from './support/capture-io.js';

describe('serve --auth-token-file/--read-token-file/--health-addr', () => {
  it('turns the flags into node options, paths resolved against the working directory', () => {
    assert.deepEqual(k8sNodeOptions({ auth: true }, '/srv'), {}, 'nothing given, nothing set: the node keeps its own token files');
    assert.deepEqual(
      k8sNodeOptions(
        { auth: true, authTokenFile: 'tok/admin', readTokenFile: '/etc/caxton/tokens/auth-token.read', healthAddr: '0.0.0.0:50052' },
        '/srv',
      ),
      {
        auth: { mode: 'token', tokenFile: '/srv/tok/admin', readTokenFile: '/etc/caxton/tokens/auth-token.read' },
        health: { host: '0.0.0.0', port: 50052 },
      },
    );
    assert.deepEqual(k8sNodeOptions({ auth: true, healthAddr: '[::]:0' }, '/srv').health, { host: '::', port: 0 });
    assert.deepEqual(k8sNodeOptions({ auth: true, readTokenFile: 'r' }, '/srv').auth, { mode: 'token', readTokenFile: '/srv/r' });
  });

  it('refuses a health address that is not host:port, and token files with --no-auth', () => {
    assert.throws(() => k8sNodeOptions({ auth: true, healthAddr: '50052' }, '/'), /--health-addr 50052 is not host:port/);
    assert.throws(() => k8sNodeOptions({ auth: true, healthAddr: 'h:70000' }, '/'), /is not host:port/);
    assert.throws(() => k8sNodeOptions({ auth: false, authTokenFile: 't' }, '/'), /contradict/);
  });

  it('reads CAXTON_HEALTH_ADDR / CAXTON_AUTH_TOKEN_FILE from the environment (a bad one is a usage error before anything starts)', async () => {
    const io = captureIo({ CAXTON_HEALTH_ADDR: 'not-an-address' });
    assert.equal(await run(['serve'], io), 2);
    assert.match(io.err, /--health-addr not-an-address is not host:port/);
    const tokens = captureIo({ CAXTON_AUTH_TOKEN_FILE: '/etc/caxton/tokens/auth-token' });
    assert.equal(await run(['serve', '--no-auth'], tokens), 2);
    assert.match(tokens.err, /--no-auth contradict/);
  });

  it('lists the flags and their variables in serve --help', async () => {
    const io = captureIo();
    assert.equal(await run(['serve', '--help'], io), 0);
    for (const text of ['--auth-token-file', '--read-token-file', '--health-addr', '$CAXTON_AUTH_TOKEN_FILE', '$CAXTON_HEALTH_ADDR'])
      assert.ok(io.out.includes(text), text);
  });
});
