/**
 * caxton:agent/state and caxton:agent/http through the native SDKs' canonical ABI: Rust, C and Go
 * through wit-bindgen's generated bindings (decisions 2203–2205), Python through componentize-py's;
 * here each
 * SDK's probe agent (test/native-probes) and the two examples (rust-state-counter, go-http-agent)
 * run on jco's implementation of the component model, against a recording store and fetcher. A
 * wrong offset, flattening or discriminant shows up as a wrong value, a trap or a lift error.
 * This checks the SDKs' side only; the runtime's store and gateway are the sandbox's and node's.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { examplesDir, repoRoot, tempOutDir } from './fixtures.js';
import { blankMessage, errPayload, loadAgent, TestHost, type AgentFactory, type Guest, type WitMessage } from './harness.js';

const BUILD_TIMEOUT = 10 * 60_000;

interface WitRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string | undefined;
  timeoutMs?: number | undefined;
  context?: string | undefined;
}
interface KindError {
  kind: string;
  message: string;
}

/** The state interface as a host serves it: a sorted map, or a refusal for every write. */
class RecordingStore {
  readonly entries = new Map<string, string>();
  refuse: KindError | undefined;
  imports(): Record<string, unknown> {
    const write = (f: () => void): void => {
      if (this.refuse) throw this.refuse; // jco turns a thrown non-Error value into result::err
      f();
    };
    return {
      get: (key: string) => this.entries.get(key),
      set: (key: string, value: string) => write(() => this.entries.set(key, value)),
      delete: (key: string) => write(() => this.entries.delete(key)),
      keys: (prefix: string, startAfter: string | undefined, limit: number) =>
        [...this.entries.keys()]
          .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
          .sort()
          .slice(0, limit),
    };
  }
}

class RecordingFetcher {
  readonly calls: WitRequest[] = [];
  refuse: KindError | undefined;
  imports(): Record<string, unknown> {
    return {
      fetch: (request: WitRequest) => {
        if (this.refuse) throw this.refuse;
        this.calls.push(request);
        return `call-${this.calls.length}`;
      },
    };
  }
}

interface Running {
  guest: Guest;
  host: TestHost;
  store: RecordingStore;
  fetcher: RecordingFetcher;
}

async function start(factory: AgentFactory, config: Array<[string, string]> = []): Promise<Running> {
  const host = new TestHost();
  const store = new RecordingStore();
  const fetcher = new RecordingFetcher();
  // Go and Python components also import WASI: a locked-down shim (no files, no environment).
  const { WASIShim } = (await import('@bytecodealliance/preview2-shim/instantiation')) as unknown as {
    WASIShim: new (opts: object) => { getImportObject(): Record<string, unknown> };
  };
  const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } }).getImportObject();
  // A Python component imports every interface of the world (componentize-py binds them all), a2a too.
  const a2a = {
    start: () => {
      throw new Error('this test makes no A2A call');
    },
  };
  const guest = await factory.instantiate(host, {
    ...wasi,
    'caxton:agent/state': store.imports(),
    'caxton:agent/http': fetcher.imports(),
    'caxton:agent/a2a': a2a,
  });
  guest.init({ self: { name: 'probe@test', addresses: [] }, config });
  return { guest, host, store, fetcher };
}

function request(content: string, extra: Partial<WitMessage> = {}): WitMessage {
  return blankMessage('request', {
    sender: { name: 'tester@test', addresses: [] },
    receivers: [{ name: 'probe@test', addresses: [] }],
    content,
    conversationId: 'conv-1',
    replyWith: 'rw-1',
    ...extra,
  });
}

/** Sends `content` and returns the content of the one answer. */
function ask(r: Running, content: string): string | undefined {
  const before = r.host.sent.length;
  r.guest.handle(request(content));
  assert.equal(r.host.sent.length, before + 1, `one answer to ${content}`);
  return r.host.sent.at(-1)!.content;
}

const PROBES = {
  rust: 'rust',
  c: 'c',
  go: 'go',
  python: 'python',
} as const;
const factories = new Map<string, AgentFactory>();

before(
  async () => {
    const out = tempOutDir('native-probes');
    for (const [lang, dir] of Object.entries(PROBES)) {
      const r = await buildAgent(path.join(repoRoot, 'toolchain/test/native-probes', dir), { reuse: true, outDir: path.join(out, lang) });
      factories.set(lang, await loadAgent(r.artifactPath));
    }
    for (const example of ['rust-state-counter', 'go-http-agent']) {
      const r = await buildAgent(path.join(examplesDir, example), { reuse: true });
      factories.set(example, await loadAgent(r.artifactPath));
    }
  },
  { timeout: BUILD_TIMEOUT },
);

describe('state and http through each native SDK', () => {
  for (const lang of Object.keys(PROBES)) {
    it(`${lang}: get (option<string>), set/delete (result<_, state-error>), keys (option arg, list<string>)`, async () => {
      const r = await start(factories.get(lang)!);
      assert.equal(ask(r, 'get count'), 'none');
      assert.equal(ask(r, 'set count 41✓'), 'ok');
      assert.deepEqual([...r.store.entries], [['count', '41✓']], 'UTF-8 key and value reach the host');
      assert.equal(ask(r, 'get count'), 'some:41✓');
      for (const k of ['k/a', 'k/b', 'k/c']) assert.equal(ask(r, `set ${k} v`), 'ok');
      assert.equal(ask(r, 'keys k/ - 2'), 'k/a,k/b');
      assert.equal(ask(r, 'keys k/ k/a 10'), 'k/b,k/c', 'start-after passed as some');
      // An empty answer: Go's SDK sends "" as no content (its convention for options).
      assert.equal(ask(r, 'keys nope - 10') ?? '', '');
      assert.equal(ask(r, 'del k/b'), 'ok');
      assert.equal(ask(r, 'keys k/ - 10'), 'k/a,k/c');
      r.store.refuse = { kind: 'quota-exceeded', message: 'over 1 MiB ✓' };
      assert.equal(ask(r, 'set big x'), 'err:quota-exceeded:over 1 MiB ✓');
      r.store.refuse = { kind: 'read-only', message: 'during init' };
      assert.equal(ask(r, 'del count'), 'err:read-only:during init', 'the last enum case');
    });

    it(`${lang}: fetch passes the request flat (14 values) and lifts result<string, http-error>`, async () => {
      const r = await start(factories.get(lang)!);
      assert.equal(ask(r, 'fetch'), 'id:call-1');
      assert.deepEqual(r.fetcher.calls[0], {
        method: 'POST',
        url: 'https://api.example.com/x?y=1',
        headers: [
          ['a', '1'],
          ['b', '2'],
        ],
        body: '{"q":"é"}',
        timeoutMs: 2500,
        context: 'ctx ✓',
      });
      assert.equal(ask(r, 'fetch-min'), 'id:call-2');
      assert.deepEqual(r.fetcher.calls[1], {
        method: 'GET',
        url: 'http://h.example/',
        headers: [],
        body: undefined,
        timeoutMs: undefined,
        context: undefined,
      });
      r.fetcher.refuse = { kind: 'invalid-request', message: 'bad header' };
      assert.equal(ask(r, 'fetch'), 'err:invalid-request:bad header');
      r.fetcher.refuse = { kind: 'quota-exceeded', message: '8 in flight' };
      assert.equal(ask(r, 'fetch-min'), 'err:quota-exceeded:8 in flight');
    });
  }

  it('go: what the host returns to an import is let go once lifted, not held to the end of the handling', async () => {
    const r = await start(factories.get('go')!);
    r.store.entries.set('big', 'x'.repeat(256 << 10));
    // 200 reads of 256 KiB (50 MiB) in one handling; a dropped value's memory is collectable at once.
    assert.equal(ask(r, 'get-many 200 big'), 'heap-mib:0');
  });

  it('componentize-py imports the whole world; the Rust, C and Go SDKs import what the agent uses', () => {
    for (const lang of ['rust', 'c', 'go', 'python']) {
      const imports = factories.get(lang)!.imports;
      assert.ok(imports.some((i) => i.startsWith('caxton:agent/state')) && imports.some((i) => i.startsWith('caxton:agent/http')), lang);
    }
    const counter = factories.get('rust-state-counter')!.imports.filter((i) => i.startsWith('caxton:'));
    assert.ok(
      counter.some((i) => i.startsWith('caxton:agent/state')) && !counter.some((i) => i.startsWith('caxton:agent/http')),
      counter.join(),
    );
    const gateway = factories.get('go-http-agent')!.imports.filter((i) => i.startsWith('caxton:'));
    assert.ok(
      gateway.some((i) => i.startsWith('caxton:agent/http')) && !gateway.some((i) => i.startsWith('caxton:agent/state')),
      gateway.join(),
    );
  });
});

describe('examples/rust-state-counter', () => {
  it('counts in state, resets with delete, and fails the handling when the write is refused', async () => {
    const r = await start(factories.get('rust-state-counter')!);
    assert.match(r.host.logs[0]?.message ?? '', /resumes at 0/);
    assert.equal(ask(r, 'add 5'), '5');
    assert.equal(ask(r, 'hello'), '6');
    assert.equal(ask(r, 'get'), '6');
    assert.deepEqual([...r.store.entries], [['count', '6']]);
    assert.equal(ask(r, 'reset'), '0');
    assert.equal(r.store.entries.size, 0);
    r.store.refuse = { kind: 'quota-exceeded', message: 'keys quota 0' };
    assert.throws(
      () => r.guest.handle(request('hello')),
      (e) => errPayload(e) === 'state quota-exceeded: keys quota 0',
    );
    const again = await start(factories.get('rust-state-counter')!);
    again.store.entries.set('count', '41');
    assert.equal(ask(again, 'hello'), '42', 'a fresh instance continues from the stored count');
  });
});

describe('examples/go-http-agent', () => {
  const gateway = (performative: string, userParams: Array<[string, string]>, content = '{"eur":1}'): WitMessage =>
    blankMessage(performative, {
      // The gateway of the agent's own platform (probe@test): another platform's is not read.
      sender: { name: 'http@test', addresses: [] },
      receivers: [{ name: 'probe@test', addresses: [] }],
      content,
      inReplyTo: 'call-1',
      conversationId: 'conv-1',
      userParams,
    });

  it('fetches the path, agrees, and forwards the answer to the asker in its conversation', async () => {
    const r = await start(factories.get('go-http-agent')!, [['base-url', 'https://api.example.com/']]);
    r.guest.handle(request('/v1/rates?base=EUR'));
    assert.deepEqual(r.fetcher.calls, [
      {
        method: 'GET',
        url: 'https://api.example.com/v1/rates?base=EUR',
        headers: [['accept', 'application/json']],
        body: undefined,
        timeoutMs: undefined,
        context: 'tester@test\nrw-1',
      },
    ]);
    assert.equal(r.host.sent[0]?.performative, 'agree');
    r.guest.handle(
      gateway('inform', [
        ['X-caxton-http-status', '200'],
        ['X-caxton-http-context', 'tester@test\nrw-1'],
      ]),
    );
    const answer = r.host.sent[1]!;
    assert.deepEqual(
      [answer.performative, answer.content, answer.receivers[0]?.name, answer.inReplyTo, answer.conversationId],
      ['inform', '{"eur":1}', 'tester@test', 'rw-1', 'conv-1'],
    );
    r.guest.handle(
      gateway('inform', [
        ['X-caxton-http-status', '503'],
        ['X-caxton-http-context', 'tester@test\nrw-1'],
      ]),
    );
    assert.deepEqual([r.host.sent[2]?.performative, r.host.sent[2]?.content], ['failure', 'HTTP 503']);
    r.guest.handle(
      gateway(
        'failure',
        [
          ['X-caxton-failure', 'timeout'],
          ['X-caxton-http-context', 'tester@test\nrw-1'],
        ],
        'no answer in 10 s',
      ),
    );
    assert.deepEqual([r.host.sent[3]?.performative, r.host.sent[3]?.content], ['failure', 'no response: timeout']);
    // The same answer from another platform's gateway is no HTTP answer: the agent does not understand it.
    r.guest.handle({ ...gateway('inform', [['X-caxton-http-status', '200']]), sender: { name: 'http@elsewhere', addresses: [] } });
    assert.equal(r.host.sent[4]?.performative, 'not-understood');
  });

  it('refuses at once when the allow-list does, and fails init without a base-url', async () => {
    const r = await start(factories.get('go-http-agent')!, [['base-url', 'https://api.example.com']]);
    r.fetcher.refuse = { kind: 'denied', message: 'api.example.com is not allowed' };
    r.guest.handle(request('/v1/rates'));
    assert.deepEqual([r.host.sent[0]?.performative, r.host.sent[0]?.content], ['refuse', 'http denied: api.example.com is not allowed']);
    await assert.rejects(start(factories.get('go-http-agent')!), (e) => /base-url/.test(String(errPayload(e))));
  });
});
