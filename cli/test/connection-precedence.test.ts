/**
 * Which node a command talks to (decision 1840): flag > environment > --context > current context
 * > default, per setting, and when the contexts file is read at all.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../src/cli-error.js';
import { localConnectionArgs, needsContextConfig, resolveConnection } from '../src/connection-precedence.js';
import { EMPTY_CONTEXT_CONFIG, parseContextConfig, UnknownContextError } from '../src/context-config.js';
import { DEFAULT_ADDR, DEFAULT_DATA_DIR } from '../src/global-args.js';

const STAGING_TOKEN = path.resolve('tokens', 'staging.token');
const STAGING_CA = path.resolve('tls', 'staging-ca.pem');
const config = parseContextConfig(
  JSON.stringify({
    version: 1,
    current: 'staging',
    contexts: {
      staging: {
        address: 'staging.example.com:50051',
        tokenFile: STAGING_TOKEN,
        caFile: STAGING_CA,
        serverName: 'caxton.internal',
        output: 'json',
      },
      prod: { address: 'prod.example.com:50051', tls: true },
    },
  }),
  path.resolve('config.json'),
);
const noCurrent = { contexts: config.contexts };

describe('connection precedence', () => {
  it('takes everything from the current context when nothing else is given', () => {
    const c = resolveConnection({ timeout: 30 }, {}, config);
    assert.deepEqual(c.context, { name: 'staging', chosenBy: 'current context' });
    assert.deepEqual(c.args, {
      addr: 'staging.example.com:50051',
      dataDir: DEFAULT_DATA_DIR,
      tls: true,
      json: true,
      tlsCa: STAGING_CA,
      tlsServerName: 'caxton.internal',
    });
    assert.equal(c.contextTokenFile, STAGING_TOKEN);
    assert.equal(c.dataDirToken, false, "a dev node's ./.caxton token is not sent to a named runtime");
    assert.deepEqual(c.notes, []);
  });

  it('--context beats the current context, for this call', () => {
    const c = resolveConnection({ timeout: 30, context: 'prod' }, {}, config);
    assert.deepEqual(c.context, { name: 'prod', chosenBy: '--context' });
    assert.deepEqual(c.args, { addr: 'prod.example.com:50051', dataDir: DEFAULT_DATA_DIR, tls: true, json: false });
    assert.equal(c.contextTokenFile, undefined);
  });

  it('flags beat the chosen context, setting by setting', () => {
    const c = resolveConnection(
      { timeout: 30, context: 'staging', addr: '10.0.0.9:50051', json: false, tlsCa: 'other-ca.pem', tlsServerName: 'n9', tls: false },
      {},
      config,
    );
    assert.deepEqual(c.args, {
      addr: '10.0.0.9:50051',
      dataDir: DEFAULT_DATA_DIR,
      tls: false,
      json: false,
      tlsCa: 'other-ca.pem',
      tlsServerName: 'n9',
    });
    assert.equal(c.contextTokenFile, STAGING_TOKEN, 'what no flag set still comes from the context');
    assert.deepEqual(c.notes, [], 'flags were typed for this call: no note');
  });

  it('environment variables beat --context, and say so', () => {
    const env = { CAXTON_ADDR: '10.1.1.1:50051', CAXTON_TOKEN: 'from-env' };
    const c = resolveConnection({ timeout: 30, context: 'staging', token: 'from-env' }, env, config);
    assert.equal(c.args.addr, '10.1.1.1:50051');
    assert.deepEqual(c.notes, [
      'caxton: note: CAXTON_ADDR overrides the address of context staging',
      'caxton: note: CAXTON_TOKEN overrides the token file of context staging',
    ]);
    const typed = resolveConnection(
      { timeout: 30, context: 'staging', token: 'typed', tokenFile: 'f' },
      { CAXTON_TOKEN: 'from-env' },
      config,
    );
    assert.deepEqual(typed.notes, [], '--token-file given: the environment token overrides nothing');
  });

  it('an address from a flag or CAXTON_ADDR means no current context', () => {
    for (const [given, env] of [
      [{ addr: '127.0.0.1:7000' }, {}],
      [{}, { CAXTON_ADDR: '127.0.0.1:7000' }],
    ] as const) {
      const c = resolveConnection({ timeout: 30, ...given }, env, config);
      assert.equal(c.context, undefined);
      assert.deepEqual(c.args, { addr: '127.0.0.1:7000', dataDir: DEFAULT_DATA_DIR, tls: false, json: false });
      assert.equal(c.contextTokenFile, undefined, "the current context's token does not follow an address it does not name");
      assert.equal(c.dataDirToken, true);
      assert.equal(needsContextConfig({ timeout: 30, ...given }, env), false, 'so the contexts file is not even read');
    }
    assert.equal(needsContextConfig({ timeout: 30, addr: 'a:1', context: 'prod' }, {}), true);
    assert.equal(needsContextConfig({ timeout: 30 }, {}), true);
  });

  it('falls back to the built-in defaults without contexts', () => {
    for (const cfg of [EMPTY_CONTEXT_CONFIG, noCurrent]) {
      const c = resolveConnection({ timeout: 30 }, {}, cfg);
      assert.equal(c.context, undefined);
      assert.deepEqual(c.args, { addr: DEFAULT_ADDR, dataDir: DEFAULT_DATA_DIR, tls: false, json: false });
      assert.equal(c.dataDirToken, true);
    }
  });

  it("reads a named data dir's token even with a context", () => {
    assert.equal(resolveConnection({ timeout: 30, dataDir: 'node-a' }, {}, config).dataDirToken, true);
    const c = resolveConnection({ timeout: 30 }, { CAXTON_DATA_DIR: 'node-b' }, config);
    assert.equal(c.dataDirToken, true);
    assert.equal(c.args.dataDir, 'node-b');
  });

  it('an unknown --context is an error that lists the known ones', () => {
    assert.throws(
      () => resolveConnection({ timeout: 30, context: 'qa' }, {}, config),
      (e: unknown) => e instanceof UnknownContextError && /known contexts: prod, staging/.test(e.hint ?? ''),
    );
  });

  it('a local command refuses --context instead of ignoring it, and takes its defaults', () => {
    assert.throws(
      () => localConnectionArgs({ timeout: 30, context: 'prod' }, {}, 'build'),
      (e: unknown) => e instanceof UsageError && /caxton build` does not talk to a node/.test(e.message),
    );
    assert.deepEqual(localConnectionArgs({ timeout: 30 }, { CAXTON_DATA_DIR: 'd' }, 'serve'), { dataDir: 'd', tls: false, json: false });
  });
});
