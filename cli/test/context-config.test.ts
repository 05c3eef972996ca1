/** The contexts file as text ↔ typed values (decision 1840): what a hand-edited file may hold. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  configFilePath,
  ContextConfigError,
  lookupContext,
  parseContextConfig,
  serializeContextConfig,
  UnknownContextError,
} from '../src/context-config.js';
import { EXIT } from '../src/exit-codes.js';

const FILE = path.resolve('cfg', 'config.json');
const ABS_TOKEN = path.resolve('tokens', 'staging.token');
const ABS_CA = path.resolve('tls', 'ca.pem');

function configText(contexts: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 1, ...extra, contexts });
}

function rejects(text: string, field: string | undefined, problem: RegExp): void {
  assert.throws(
    () => parseContextConfig(text, FILE),
    (e: unknown) => {
      assert.ok(e instanceof ContextConfigError, String(e));
      assert.equal(e.exitCode, EXIT.USAGE);
      assert.equal(e.file, FILE);
      assert.equal(e.field, field);
      assert.ok(e.message.startsWith(`${FILE}: `), e.message);
      assert.match(e.message, problem);
      assert.ok(e.hint && e.hint.length > 10, 'a hint says what to do');
      return true;
    },
  );
}

describe('contexts file', () => {
  it('reads contexts into typed values; a CA file implies TLS', () => {
    const config = parseContextConfig(
      configText(
        {
          staging: {
            address: 'staging.example.com:50051',
            tokenFile: ABS_TOKEN,
            caFile: ABS_CA,
            serverName: 'caxton.internal',
            output: 'json',
          },
          local: { address: '127.0.0.1:50051' },
          cloud: { address: 'dns:///caxton.example.com:443', tls: true },
        },
        { current: 'staging' },
      ),
      FILE,
    );
    assert.equal(config.current, 'staging');
    assert.deepEqual(lookupContext(config, 'staging'), {
      address: 'staging.example.com:50051',
      tokenFile: ABS_TOKEN,
      caFile: ABS_CA,
      serverName: 'caxton.internal',
      output: 'json',
      tls: true,
    });
    assert.deepEqual(lookupContext(config, 'local'), { address: '127.0.0.1:50051', tls: false });
    assert.deepEqual(lookupContext(config, 'cloud'), { address: 'dns:///caxton.example.com:443', tls: true });
  });

  it('round-trips through its own serialization, names sorted', () => {
    const text = configText(
      { zeta: { address: 'z:1', tls: false }, alpha: { address: 'a:2', tokenFile: ABS_TOKEN, tls: false } },
      { current: 'zeta' },
    );
    const once = serializeContextConfig(parseContextConfig(text, FILE));
    assert.deepEqual(Object.keys((JSON.parse(once) as { contexts: object }).contexts), ['alpha', 'zeta']);
    assert.equal(serializeContextConfig(parseContextConfig(once, FILE)), once);
    assert.ok(once.endsWith('}\n'));
  });

  it('names the file and the field of every kind of bad content', () => {
    rejects('{"version":1,', undefined, /is not JSON/);
    rejects('[]', undefined, /is not a JSON object/);
    rejects(JSON.stringify({ contexts: {} }), 'version', /undefined is not a version/);
    rejects(JSON.stringify({ version: 2, contexts: {} }), 'version', /2 is not a version this caxton reads \(1\)/);
    rejects(configText({}, { kontexts: {} }), 'kontexts', /is not a field of the config file/);
    rejects(JSON.stringify({ version: 1, contexts: [] }), 'contexts', /is not an object/);
    rejects(configText({ '-x': { address: 'a:1' } }), 'contexts."-x"', /is not a context name/);
    rejects('{"version":1,"contexts":{"__proto__":{"address":"a:1"}}}', 'contexts."__proto__"', /is not a context name/);
    rejects(configText({ s: 'a:1' }), 'contexts.s', /is not an object/);
    rejects(configText({ s: {} }), 'contexts.s.address', /is missing/);
    rejects(configText({ s: { address: 'nohost' } }), 'contexts.s.address', /"nohost" is not host:port/);
    rejects(configText({ s: { address: 'a:99999' } }), 'contexts.s.address', /is not host:port/);
    rejects(configText({ s: { address: 'a:1', tokenFile: 'relative/token' } }), 'contexts.s.tokenFile', /is not an absolute path/);
    rejects(configText({ s: { address: 'a:1', caFile: 42 } }), 'contexts.s.caFile', /42 is not an absolute path/);
    rejects(configText({ s: { address: 'a:1', serverName: 'bad name' } }), 'contexts.s.serverName', /is not a host name/);
    rejects(configText({ s: { address: 'a:1', tls: 'yes' } }), 'contexts.s.tls', /"yes" is not true or false/);
    rejects(configText({ s: { address: 'a:1', output: 'yaml' } }), 'contexts.s.output', /"yaml" is not one of text, json/);
    rejects(configText({ s: { address: 'a:1', adress: 'b:2' } }), 'contexts.s.adress', /is not a context field/);
    rejects(configText({ s: { address: 'a:1' } }, { current: 'prod' }), 'current', /"prod" names no context/);
  });

  it('refuses a token stored in the file itself', () => {
    rejects(
      configText({ s: { address: 'a:1', token: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' } }),
      'contexts.s.token',
      /a token is stored in the file itself/,
    );
  });

  it('reads a name written with escapes as what it says', () => {
    const config = parseContextConfig('{"version":1,"contexts":{"a\\u002db":{"address":"x:1"},"st\\u0061ging":{"address":"s:1"}}}', FILE);
    assert.deepEqual([...config.contexts.keys()], ['a-b', 'staging']);
  });

  it('holds a context named like an Object property as a plain name', () => {
    const config = parseContextConfig(configText({ constructor: { address: 'a:1' } }, { current: 'constructor' }), FILE);
    assert.equal(lookupContext(config, 'constructor').address, 'a:1');
    assert.throws(() => lookupContext(config, 'toString'), UnknownContextError);
  });

  it('lists the known contexts when a name is unknown', () => {
    const config = parseContextConfig(configText({ prod: { address: 'p:1' }, dev: { address: 'd:1' } }), FILE);
    assert.throws(
      () => lookupContext(config, 'staging'),
      (e: unknown) =>
        e instanceof UnknownContextError &&
        e.exitCode === EXIT.NOT_FOUND &&
        e.message === 'no context named "staging"' &&
        /known contexts: dev, prod/.test(e.hint ?? ''),
    );
    const empty = parseContextConfig('{"version":1}', FILE);
    assert.throws(
      () => lookupContext(empty, 'x'),
      (e: unknown) => e instanceof UnknownContextError && /caxton context add/.test(e.hint ?? ''),
    );
  });
});

describe('contexts file location', () => {
  const home = path.resolve('home', 'op');
  const cwd = path.resolve('work');
  it('is $CAXTON_CONFIG (relative to the working directory), else $XDG_CONFIG_HOME/caxton, else ~/.config/caxton', () => {
    assert.equal(configFilePath({ CAXTON_CONFIG: 'my.json', XDG_CONFIG_HOME: path.resolve('xdg') }, home, cwd), path.join(cwd, 'my.json'));
    assert.equal(
      configFilePath({ XDG_CONFIG_HOME: path.resolve('xdg') }, home, cwd),
      path.join(path.resolve('xdg'), 'caxton', 'config.json'),
    );
    assert.equal(configFilePath({}, home, cwd), path.join(home, '.config', 'caxton', 'config.json'));
  });
  it('ignores an empty CAXTON_CONFIG and a relative XDG_CONFIG_HOME (the XDG spec says so)', () => {
    assert.equal(
      configFilePath({ CAXTON_CONFIG: '', XDG_CONFIG_HOME: 'rel' }, home, cwd),
      path.join(home, '.config', 'caxton', 'config.json'),
    );
  });
});
