import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  readWit,
  WitReadError,
  type WitType,
  witCoreSignature,
  witFieldOffsets,
  witFlatten,
  witInterfaceId,
  witLayout,
  witPayloadOffset,
} from '../../src/index.js';

const AGENT_WIT = fileURLToPath(new URL('../../../../wit/agent.wit', import.meta.url));
const named = (iface: string, name: string): WitType => ({ kind: 'named', interface: iface, name });
const str: WitType = { kind: 'primitive', name: 'string' };

describe('the WIT reader and the canonical ABI', () => {
  const pkg = readWit(readFileSync(AGENT_WIT, 'utf8'));

  it('reads the agent world: its package, interfaces, world and enums', () => {
    assert.equal(pkg.name, 'caxton:agent');
    assert.equal(pkg.version, '0.1.0');
    assert.deepEqual([...pkg.interfaces.keys()], ['types', 'host', 'state', 'http', 'a2a', 'topics', 'message-info', 'guest']);
    assert.deepEqual(pkg.worlds.get('agent'), {
      name: 'agent',
      imports: ['host', 'state', 'http', 'a2a', 'topics', 'message-info'],
      exports: ['guest'],
    });
    assert.equal(witInterfaceId(pkg, 'host'), 'caxton:agent/host@0.1.0');
    const perf = pkg.interfaces.get('types')?.types.get('performative');
    assert.equal(perf?.kind === 'enum' && perf.cases.length, 22);
    // `%type` and `%stream` are escaped keywords: read as plain names.
    const service = pkg.interfaces.get('types')?.types.get('service-description');
    assert.equal(service?.kind === 'record' && service.fields[1]?.name, 'type');
  });

  it('lays acl-message out as the component model does: 160 bytes, align 8, option<u64> payload at 8', () => {
    const msg = named('types', 'acl-message');
    assert.deepEqual(witLayout(pkg, msg), { size: 160, align: 8 });
    const def = pkg.interfaces.get('types')?.types.get('acl-message');
    assert.ok(def?.kind === 'record');
    const { offsets } = witFieldOffsets(
      pkg,
      def.fields.map((f) => f.type),
    );
    assert.deepEqual(offsets, [0, 4, 24, 32, 40, 52, 64, 76, 88, 100, 112, 124, 136, 152]);
    assert.equal(witPayloadOffset(pkg, { kind: 'option', some: { kind: 'primitive', name: 'u64' } }), 8);
    assert.equal(witPayloadOffset(pkg, { kind: 'option', some: str }), 4);
    assert.equal(witFlatten(pkg, msg).length, 38);
  });

  it('flattens variants by joining their cases position by position', () => {
    const u64: WitType = { kind: 'primitive', name: 'u64' };
    const f32: WitType = { kind: 'primitive', name: 'f32' };
    assert.deepEqual(witFlatten(pkg, { kind: 'result', ok: u64, err: str }), ['i32', 'i64', 'i32']);
    assert.deepEqual(witFlatten(pkg, { kind: 'result', ok: f32, err: { kind: 'primitive', name: 'u32' } }), ['i32', 'i32']);
    assert.deepEqual(witFlatten(pkg, { kind: 'result', ok: null, err: null }), ['i32']);
    assert.deepEqual(witLayout(pkg, { kind: 'result', ok: null, err: named('state', 'state-error') }), { size: 16, align: 4 });
  });

  it('gives imports and exports their core signatures (16 flat parameters, 1 flat result)', () => {
    const fn = (iface: string, name: string) => {
      const f = pkg.interfaces.get(iface)?.functions.find((x) => x.name === name);
      assert.ok(f, `${iface}.${name}`);
      return f;
    };
    const i32s = (n: number) => Array.from({ length: n }, () => 'i32');
    assert.deepEqual(witCoreSignature(pkg, fn('host', 'send'), 'import'), { params: i32s(2), results: [] });
    assert.deepEqual(witCoreSignature(pkg, fn('host', 'now'), 'import'), { params: [], results: ['i64'] });
    assert.deepEqual(witCoreSignature(pkg, fn('a2a', 'start'), 'import'), { params: i32s(17), results: [] });
    assert.deepEqual(witCoreSignature(pkg, fn('guest', 'handle'), 'export'), { params: i32s(1), results: ['i32'] });
    assert.deepEqual(witCoreSignature(pkg, fn('guest', 'init'), 'export'), { params: i32s(6), results: ['i32'] });
  });

  it('follows aliases, reads escaped names as names, takes semver versions, and lays out deep nesting in linear time', () => {
    const p = readWit(`package a:b@1.0.0-rc.1+b5;
      interface i {
        type count = u32;
        type maybe = option<count>;
        record %string { a: maybe, b: count }
        f: func(x: %string) -> maybe;
      }`);
    assert.equal(p.version, '1.0.0-rc.1+b5');
    const rec = named('i', 'string');
    assert.deepEqual(witLayout(p, rec), { size: 12, align: 4 });
    assert.deepEqual(witLayout(p, named('i', 'maybe')), { size: 8, align: 4 });
    const f = p.interfaces.get('i')?.functions[0];
    assert.ok(f);
    // The record's three flat values, then where the option (two values) is written.
    assert.deepEqual(witCoreSignature(p, f, 'import'), { params: ['i32', 'i32', 'i32', 'i32'], results: [] });
    let deep: WitType = { kind: 'primitive', name: 'u8' };
    for (let i = 0; i < 200; i++) deep = { kind: 'option', some: deep };
    assert.deepEqual(witLayout(p, deep), { size: 201, align: 1 });
  });

  it('refuses what it does not know with the line and column, never a guess', () => {
    const cases: [string, RegExp][] = [
      ['package a:b;\ninterface i { resource r; }', /wit:2:15: .*"resource" in an interface/],
      ['package a:b;\ninterface i { f: func(x: own<t>); }', /the type own/],
      ['package a:b;\ninterface i { f: func(x: missing); }', /"missing", neither defined nor used/],
      ['package a:b;\ninterface i { use j.{t}; }', /a use of "j", not an interface defined before it/],
      ['package a:b;\nworld w { import nowhere; }', /an import of "nowhere"/],
      ['package a:b;\ninterface i { record r { a: u8 } record r { b: u8 } }', /wit:2:41: a second item named "r" is not valid WIT/],
      ['package a:b;\ninterface i { f: func( }', /expected a name/],
      ['package a:b;\ninterface i {', /unexpected end|expected/],
      ['package a:b;\ninterface i { # }', /unexpected character "#"/],
      ['package a:b;\ninterface i { f: func(x: missing); }', /wit:2:26: .*"missing"/],
      ['package a:b;\ninterface i { record r { a: u8, a: u8 } }', /wit:2:33: .*a second field named "a"/],
      ['package a:b;\ninterface i { enum e { x, x } }', /a second case named "x"/],
      ['package a:b;\ninterface i { f: func(a: u8, a: u8); }', /a second parameter named "a"/],
      ['package a:b;\ninterface i { f: func(); f: func(); }', /a second item named "f"/],
      ['package a:b;\ninterface i { record r { } }', /an empty list of fields/],
      ['package a:b;\ninterface i { f: func(x: tuple<>); }', /an empty tuple/],
      ['package a:b;\ninterface i { f: func(x: result<_>); }', /"_" alone/],
      ['package a:b;\ninterface i {}\nworld w { import i; import i; }', /a second import or export named "i"/],
      ['package a:b;\ninterface i { f: func(x: %string); }', /"string", neither defined/],
      ['package a:b;\ninterface i { f: func(x: list<u8, u8>); }', /a list without exactly one element type is not valid WIT/],
      [`package a:b;\ninterface i { f: func(x: ${'option<'.repeat(10_000)}u8${'>'.repeat(10_000)}); }`, /a type nested more than 32 deep/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => readWit(text),
        (e: unknown) => e instanceof WitReadError && e.code === 'wit.invalid' && message.test(e.message) && e.hint !== undefined,
        text,
      );
    }
  });
});
