/**
 * caxton:agent/state and caxton:agent/http in a real agent (fixtures/as/stateful.as), on both
 * binding paths (direct: our canonical ABI; jco: jco's glue behind the lift guard): buffered writes
 * read back in the same call, committed across calls, discarded by a crash; init read-only; every
 * refusal typed and counted; reserved keys invisible; fetch buffered as an HttpCall with its
 * pending-call record, or refused with a typed error; and lengths of 1 GiB refused from the length
 * alone, before the host reads or copies anything.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_HTTP_POLICY } from '@caxton/core';
import type { HttpPolicy } from '@caxton/core';
import type { AgentSpec } from '../src/agent-spec.js';
import { Engine } from '../src/engine.js';
import type { WorkResult } from '../src/results.js';
import { Sandbox } from '../src/sandbox.js';
import { TEST_ENGINE_CACHE, asStateful, jsProbe, rewiredStatefulComponent } from './fixtures/build.js';
import { work } from './helpers.js';

/** A call id derived from the handling (decision 2174): a version-8 UUID, never the node's random ids. */
const DERIVED_CALL_ID = /^id:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let bytes: Uint8Array;
before(async () => {
  bytes = await asStateful();
});

const policy: HttpPolicy = { ...DEFAULT_HTTP_POLICY, allow: [{ host: 'api.example.com', methods: ['GET'] }], maxCallsPerHandling: 2 };
const answer = (r: WorkResult): string[] => {
  assert.equal(r.status, 'ok', JSON.stringify(r.status === 'crashed' ? r.message : r.status === 'rejected' ? r.reason : r.status));
  assert.equal(r.outbox.length, 1);
  return r.outbox[0]!.content!.split(';');
};

for (const binding of ['auto', 'jco'] as const) {
  const path = binding === 'auto' ? 'direct' : 'jco';
  describe(`state and http on the ${path} path`, () => {
    let sandbox: Sandbox;
    let n = 0;
    const deploy = async (spec: Partial<AgentSpec> = {}): Promise<string> => {
      const name = `stateful-${path}-${++n}@test`;
      await sandbox.deploy({ name, artifact: bytes, limits: { memoryPages: 64 }, ...spec });
      assert.equal(sandbox.metrics(name)!.path, path);
      return name;
    };
    const run = (agent: string, content: string): WorkResult => sandbox.run(work(agent, content));

    before(() => {
      let ids = 0;
      sandbox = new Sandbox({
        engine: new Engine({ cacheDir: TEST_ENGINE_CACHE, binding }),
        newId: () => `id-${++ids}`,
        clock: () => 1_700_000_000_000,
      });
    });

    it('reads its own writes in the same call, hands them back, and sees them committed in the next call', async () => {
      const a = await deploy({ state: { entries: [['seed', 'from-store']] } });
      const r = run(a, 'get:seed;set:x=1;get:x;set:x=2;get:x;del:seed;get:seed;keys:');
      assert.deepEqual(answer(r), ['from-store', 'ok', '1', 'ok', '2', 'ok', 'none', '[x]']);
      assert.deepEqual(r.stateWrites, [
        { key: 'x', value: '2' },
        { key: 'seed', value: null },
      ]);
      const next = run(a, 'get:x;get:seed;keys:');
      assert.deepEqual(answer(next), ['2', 'none', '[x]']);
      assert.deepEqual(next.stateWrites, []);
    });

    it("a crash discards the call's writes: the retry on a fresh instance sees the old value", async () => {
      const a = await deploy();
      answer(run(a, 'set:k=old'));
      const crashed = run(a, 'set:k=new;get:k;trap');
      assert.equal(crashed.status, 'crashed');
      assert.deepEqual(crashed.stateWrites, []);
      const after = run(a, 'get:k');
      assert.deepEqual(answer(after), ['old']);
      assert.equal(sandbox.metrics(a)!.instantiations, 2, 'the view outlived the crashed instance');
    });

    it('init reads the committed state but cannot write it (read-only), also when it runs again after a crash', async () => {
      const a = await deploy({ state: { entries: [['mode', 'warm']] }, config: { read: 'mode' } });
      const [saw] = answer(run(a, 'init'));
      assert.match(saw!, /^get=warm,set=err:read-only:state cannot be written during init/);
      run(a, 'set:mode=hot;trap');
      answer(run(a, 'set:mode=hot'));
      run(a, 'trap');
      assert.match(answer(run(a, 'init'))[0]!, /^get=hot,set=err:read-only/);
    });

    it('refuses over its limits with typed errors the agent sees, counted as state refusals', async () => {
      const a = await deploy({ state: { entries: [], limits: { maxKeyBytes: 8, maxValueBytes: 10, maxTotalBytes: 30, maxKeys: 3 } } });
      const got = answer(
        run(
          a,
          'set:much-too-long=1;set:k=12345678901;set:k1=1234567890;set:k2=1234567890;set:k3=1234567890;set:k3=1;set:k4=1;set:tab\tkey=1;set:=1',
        ),
      );
      assert.deepEqual(
        got.map((g) => g.split(':').slice(0, 2).join(':')),
        [
          'err:invalid-key',
          'err:value-too-large',
          'ok',
          'ok',
          'err:quota-exceeded',
          'ok',
          'err:quota-exceeded',
          'err:invalid-key',
          'err:invalid-key',
        ],
      );
      assert.match(got[4]!, /36 bytes, more than its 30/);
      assert.match(got[6]!, /4 keys, more than its 3/);
      assert.equal(sandbox.agent(a)!.refusals().state, 6);
    });

    it("keeps the runtime's reserved keys invisible and unwritable, and out of the agent's quotas", async () => {
      const a = await deploy({
        state: {
          entries: [
            ['\u0000http/old', 'x'.repeat(100)],
            ['a', '1'],
          ],
          limits: { maxTotalBytes: 10 },
        },
      });
      const got = answer(run(a, 'keys:;get:\u0000http/old;set:\u0000http/old=mine;del:\u0000http/old;set:b=2'));
      assert.equal(got[0], '[a]');
      assert.equal(got[1], 'none');
      assert.match(got[2]!, /^err:invalid-key:the key contains the control character U\+0000/);
      assert.match(got[3]!, /^err:invalid-key/);
      assert.equal(got[4], 'ok', 'the 100-byte reserved entry does not count against 10 bytes');
      assert.deepEqual(new Map(sandbox.agent(a)!.stateEntries()).get('\u0000http/old'), 'x'.repeat(100));
    });

    it("turns an allowed fetch into an HttpCall with its pending-call record in the same call's state writes", async () => {
      const a = await deploy({ http: policy });
      const r = run(a, 'fetch:get https://API.example.com/v1/q ctx-7;set:after=1');
      const [id, ok] = answer(r);
      assert.match(id!, DERIVED_CALL_ID);
      assert.equal(ok, 'ok');
      const callId = id!.slice(3);
      assert.deepEqual(r.http, [
        {
          id: callId,
          request: { method: 'GET', url: 'https://api.example.com/v1/q', headers: [['Accept', 'text/plain']], context: 'ctx-7' },
        },
      ]);
      assert.deepEqual(r.stateWrites, [
        {
          key: `\u0000http/${callId}`,
          value: JSON.stringify({
            method: 'GET',
            url: 'https://api.example.com/v1/q',
            context: 'ctx-7',
            conversationId: 'conv-1',
            at: 1_700_000_000_000,
          }),
        },
        { key: 'after', value: '1' },
      ]);
      assert.deepEqual(answer(run(a, 'keys:')), ['[after]'], 'the pending record is committed but hidden');
      // A crash discards the call and its record with everything else.
      const crashed = run(a, 'fetch:GET https://api.example.com/x;trap');
      assert.deepEqual([crashed.status, crashed.http, crashed.stateWrites], ['crashed', [], []]);
    });

    it('refuses fetches with typed errors: denied, invalid request, calls per handling', async () => {
      const none = await deploy();
      assert.match(
        answer(run(none, 'fetch:GET https://api.example.com/'))[0]!,
        /^err:denied:this agent may not make HTTP calls: its deployment has no HTTP policy/,
      );
      const a = await deploy({ http: policy });
      const got = answer(
        run(
          a,
          'fetch:GET https://other.example.com/;fetch:POST https://api.example.com/;fetch:TRACE https://api.example.com/;fetch:GET notaurl;fetch:GET https://api.example.com/1;fetch:GET https://api.example.com/2;fetch:GET https://api.example.com/3',
        ),
      );
      assert.deepEqual(
        got.map((g) => g.split(':').slice(0, 2).join(':')),
        [
          'err:denied',
          'err:denied',
          'err:invalid-request',
          'err:invalid-request',
          `id:${got[4]!.slice(3)}`,
          `id:${got[5]!.slice(3)}`,
          'err:quota-exceeded',
        ],
      );
      assert.match(got[4]!, DERIVED_CALL_ID);
      assert.notEqual(got[4], got[5], 'two calls of one handling get two ids');
      assert.match(got[0]!, /host other\.example\.com is not on the agent's allow-list/);
      assert.match(got[6]!, /at most 2 HTTP calls per handling/);
      assert.equal(sandbox.agent(a)!.refusals().http, 5);
    });

    it('turns an A2A call into the JSON-RPC request the host builds around its id, marked for the gateway to read (decision 2193)', async () => {
      const a2aPolicy: HttpPolicy = { ...DEFAULT_HTTP_POLICY, allow: [{ host: 'api.example.com', methods: ['POST'] }] };
      const a = await deploy({ http: a2aPolicy });
      const r = run(a, 'a2a:1 https://api.example.com/a2a hello ctx-9;a2a:2 https://api.example.com/a2a task-1');
      const [streamId, getId] = answer(r).map((x) => x.slice(3));
      assert.match(`id:${streamId}`, DERIVED_CALL_ID);
      const stream = r.http[0]!;
      assert.deepEqual(
        [stream.id, stream.request.method, stream.request.a2a, stream.request.context],
        [streamId, 'POST', 'a2a-stream', 'ctx-9'],
      );
      assert.deepEqual(stream.request.headers, [
        ['content-type', 'application/json'],
        ['accept', 'text/event-stream'],
        ['a2a-version', '1.0'],
        ['authorization', 'Bearer t0k'],
      ]);
      const body = JSON.parse(stream.request.body!) as { id: string; method: string; params: { message: { messageId: string } } };
      assert.deepEqual([body.id, body.method, body.params.message.messageId], [streamId, 'SendStreamingMessage', streamId]);
      assert.deepEqual(JSON.parse(r.http[1]!.request.body!), { jsonrpc: '2.0', id: getId, method: 'GetTask', params: { id: 'task-1' } });
      const record = JSON.parse(r.stateWrites.find((w) => w.key === `\u0000http/${streamId}`)!.value!) as Record<string, unknown>;
      assert.equal(record.a2a, 'a2a-stream', 'the pending record says how to read even an interrupted answer');
    });

    it('refuses an A2A call as a fetch is: no policy, off the allow-list, a 1 GiB subject unread', async () => {
      assert.match(
        answer(run(await deploy(), 'a2a:0 https://api.example.com/a2a hi'))[0]!,
        /^err:denied:this agent may not make HTTP calls/,
      );
      const a = await deploy({ http: policy });
      const got = answer(run(a, 'a2a:0 https://api.example.com/a2a hi;hugea2a;set:still=alive'));
      assert.match(got[0]!, /^err:denied:.*POST/, 'the allow-list admits GET only; an A2A call is a POST');
      assert.match(got[1]!, /^err:quota-exceeded:the request is too large: start: more than \d+ code units/);
      assert.equal(got[2], 'ok');
      assert.ok(sandbox.metrics(a)!.memoryPages < 64);
    });

    it('refuses a 1 GiB key, value or request from its length alone, before reading a byte of it', async () => {
      const a = await deploy({ http: policy });
      const r = run(a, 'hugekey;hugeval;hugeget;hugefetch;set:still=alive');
      const got = answer(r);
      assert.match(got[0]!, /^err:invalid-key:the key has 1073741824 code units, more than the limit of 256 bytes/);
      assert.match(got[1]!, /^err:value-too-large:the value has 1073741824 code units, more than the limit of 65536 bytes/);
      assert.equal(got[2], 'none');
      assert.match(got[3]!, /^err:quota-exceeded:the request is too large: fetch: more than \d+ code units/);
      assert.equal(got[4], 'ok');
      // The agent's memory is a few pages: reading 1 GiB of it would have failed, not refused.
      assert.ok(sandbox.metrics(a)!.memoryPages < 64);
      assert.deepEqual(r.stateWrites, [{ key: 'still', value: 'alive' }]);
    });

    it('counts every reference of an aliased header string, and the header count, before lifting a request', async () => {
      const a = await deploy({ http: policy });
      const r = run(a, 'aliasfetch;manyheaders;fetch:GET https://api.example.com/ok');
      const got = answer(r);
      assert.match(got[0]!, /^err:quota-exceeded:the request is too large: fetch: more than \d+ code units of strings to lift/);
      assert.match(got[1]!, /^err:quota-exceeded:the request is too large: fetch: more than 100 list entries/);
      assert.match(got[2]!, /^id:/, 'the instance lives on');
      assert.equal(r.http.length, 1);
      assert.equal(sandbox.agent(a)!.refusals().liftLimit, 2);
    });

    it('ends the call when state or fetch is reached through a core import the lift guard does not know (jco path)', async () => {
      const name = `rewired-${path}@test`;
      await sandbox.deploy({ name, artifact: await rewiredStatefulComponent(), limits: { memoryPages: 64 }, http: policy });
      assert.equal(sandbox.metrics(name)!.path, 'jco', 'a rewired component is not the canonical encoding: never direct');
      for (const [command, fn] of [
        ['set:a=1', 'state.set'],
        ['get:a', 'state.get'],
        ['fetch:GET https://api.example.com/', 'http.fetch'],
      ] as const) {
        const r = run(name, command);
        assert.equal(r.status, 'crashed');
        assert.match(
          r.status === 'crashed' ? r.message : '',
          new RegExp(`^${fn.replace('.', '\\.')}: reached through a core import the sandbox does not guard`),
        );
        assert.deepEqual([r.stateWrites, r.http], [[], []]);
      }
    });

    it('an upgrade keeps the committed state; resetState replaces it', async () => {
      const a = await deploy();
      answer(run(a, 'set:v=1'));
      await sandbox.upgrade({ name: a, artifact: bytes, limits: { memoryPages: 64 } });
      assert.deepEqual(answer(run(a, 'get:v')), ['1']);
      assert.equal(sandbox.resetState(a, [['v', 'reset']]), true);
      assert.deepEqual(answer(run(a, 'get:v')), ['reset']);
    });
  });
}

// The same protocol from JavaScript (componentize-qjs): a real toolchain's bindings on the jco path.
describe('state and http from a JavaScript agent (jco path)', () => {
  let sandbox: Sandbox;
  let js: Uint8Array;
  let n = 0;
  const deploy = async (spec: Partial<AgentSpec> = {}): Promise<string> => {
    const name = `js-stateful-${++n}@test`;
    await sandbox.deploy({ name, artifact: js, ...spec });
    assert.equal(sandbox.metrics(name)!.path, 'jco');
    return name;
  };
  const run = (agent: string, content: string): WorkResult => sandbox.run(work(agent, content));

  before(async () => {
    js = await jsProbe('stateful');
    let ids = 0;
    sandbox = new Sandbox({
      engine: new Engine({ cacheDir: TEST_ENGINE_CACHE }),
      newId: () => `id-${++ids}`,
      clock: () => 1_700_000_000_000,
    });
  });

  it('buffers, commits, discards on a crash, and refuses with typed errors', async () => {
    const a = await deploy({
      state: {
        entries: [
          ['seed', 's'],
          ['\u0000http/old', '{}'],
        ],
        limits: { maxKeyBytes: 8 },
      },
      config: { read: 'seed' },
      http: policy,
    });
    assert.deepEqual(answer(run(a, 'init')), [
      'get=s,set=err:read-only:state cannot be written during init (it is only read there): write it while handling a message or a timer',
    ]);
    const r = run(
      a,
      'set:x=1;get:x;keys:;set:much-too-long=1;fetch:GET https://api.example.com/v1 c;fetch:GET https://elsewhere.example.com/',
    );
    const got = answer(r);
    assert.deepEqual(got.slice(0, 3), ['ok', '1', '[seed,x]']);
    assert.match(got[3]!, /^err:invalid-key:/);
    assert.match(got[4]!, DERIVED_CALL_ID);
    assert.match(got[5]!, /^err:denied:host elsewhere\.example\.com/);
    assert.deepEqual(
      r.stateWrites.map((w) => w.key),
      ['x', `\u0000http/${got[4]!.slice(3)}`],
    );
    assert.equal(r.http.length, 1);
    const crashed = run(a, 'set:x=2;trap');
    assert.equal(crashed.status, 'crashed');
    assert.deepEqual(answer(run(a, 'get:x')), ['1']);
  });
});
