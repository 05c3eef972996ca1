/**
 * The direct binding's tables (src/abi.ts) against wit/agent.wit as @caxton/core's reader computes
 * its canonical ABI: every core signature the host binds, every layout it reads or writes, every
 * enum's cases. A WIT change that leaves a table behind fails here, not in an agent.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  readWit,
  type WitType,
  witCoreSignature,
  witFieldOffsets,
  witFlatParams,
  witInterfaceId,
  witLayout,
  witPayloadOffset,
} from '@caxton/core';
import * as abi from '../src/abi.js';

const pkg = readWit(readFileSync(fileURLToPath(new URL('../../../wit/agent.wit', import.meta.url)), 'utf8'));
const iface = (name: string) => {
  const i = pkg.interfaces.get(name);
  assert.ok(i, name);
  return i;
};
const named = (i: string, name: string): WitType => ({ kind: 'named', interface: i, name });
const fields = (i: string, name: string) => {
  const def = iface(i).types.get(name);
  assert.ok(def?.kind === 'record', name);
  const { offsets, size, align } = witFieldOffsets(
    pkg,
    def.fields.map((f) => f.type),
  );
  return { names: def.fields.map((f) => f.name), offsets, size, align };
};
const enumCases = (i: string, name: string) => {
  const def = iface(i).types.get(name);
  assert.ok(def?.kind === 'enum', name);
  return def.cases;
};
const str: WitType = { kind: 'primitive', name: 'string' };

describe("the direct binding's tables are the WIT's canonical ABI", () => {
  it('imports: every function of every imported interface, with its core signature', () => {
    const world = pkg.worlds.get('agent');
    assert.ok(world);
    assert.deepEqual(Object.keys(abi.IMPORT_SIGS).sort(), world.imports.map((i) => witInterfaceId(pkg, i)).sort());
    for (const name of world.imports) {
      const table = abi.IMPORT_SIGS[witInterfaceId(pkg, name)] ?? {};
      const fns = iface(name).functions;
      assert.deepEqual(Object.keys(table).sort(), fns.map((f) => f.name).sort(), name);
      for (const f of fns) assert.deepEqual(table[f.name], witCoreSignature(pkg, f, 'import'), `${name}.${f.name}`);
    }
  });

  it('exports: the guest functions, and where the flat arguments of fetch and a2a start sit', () => {
    for (const f of iface('guest').functions) {
      assert.deepEqual(abi.GUEST_EXPORT_SIGS[f.name], witCoreSignature(pkg, f, 'export'), f.name);
      assert.equal(`${abi.GUEST_PREFIX}${f.name}`, `${witInterfaceId(pkg, 'guest')}#${f.name}`);
    }
    const flatPositions = (i: string, fn: string, record: string): Record<string, number | undefined> => {
      const f = iface(i).functions.find((x) => x.name === fn);
      assert.ok(f);
      const def = iface(i).types.get(record);
      assert.ok(def?.kind === 'record');
      let at = 0;
      const out: Record<string, number> = {};
      for (const field of def.fields) {
        out[field.name] = at;
        at += witFlatParams(pkg, [field]).flat().length;
      }
      out.ret = at;
      return out;
    };
    const fetch = flatPositions('http', 'fetch', 'request');
    assert.deepEqual(abi.FETCH_FLAT, {
      method: fetch.method,
      url: fetch.url,
      headers: fetch.headers,
      body: fetch.body,
      timeout: fetch['timeout-ms'],
      context: fetch.context,
      ret: fetch.ret,
    });
    const call = flatPositions('a2a', 'start', 'call');
    assert.deepEqual(abi.A2A_CALL_FLAT, {
      operation: call.operation,
      url: call.url,
      version: call.version,
      subject: call.subject,
      contextId: call['context-id'],
      headers: call.headers,
      timeout: call['timeout-ms'],
      context: call.context,
      ret: call.ret,
    });
  });

  it('layouts: acl-message, agent-id, service-description, options and results', () => {
    const msg = fields('types', 'acl-message');
    const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    assert.deepEqual(abi.MSG, {
      ...Object.fromEntries(msg.names.map((n, i) => [camel(n), msg.offsets[i]])),
      size: msg.size,
      align: msg.align,
    });
    const id = fields('types', 'agent-id');
    assert.deepEqual(abi.AGENT_ID, { name: id.offsets[0], addresses: id.offsets[1], size: id.size, align: id.align });
    const svc = fields('types', 'service-description');
    assert.deepEqual(abi.SERVICE, { ...Object.fromEntries(svc.names.map((n, i) => [n, svc.offsets[i]])), size: svc.size });
    assert.deepEqual(abi.SLICE, witLayout(pkg, str));
    const pair = witFieldOffsets(pkg, [str, str]);
    assert.deepEqual(abi.PAIR, { first: pair.offsets[0], second: pair.offsets[1], size: pair.size, align: pair.align });
    const option = (some: WitType) => ({
      payload: witPayloadOffset(pkg, { kind: 'option', some }),
      size: witLayout(pkg, { kind: 'option', some }).size,
    });
    assert.deepEqual(abi.OPT_STRING, option(str));
    assert.deepEqual(abi.OPT_AGENT_ID, option(named('types', 'agent-id')));
    assert.deepEqual(abi.OPT_U64, option({ kind: 'primitive', name: 'u64' }));
    const result = (err: WitType) => ({ kind: 'result', ok: null, err }) as const;
    assert.deepEqual(abi.RESULT, { payload: witPayloadOffset(pkg, result(str)), ...witLayout(pkg, result(str)) });
    // Every result the host writes with KIND_RESULT shares one layout: the error record's fields follow the payload.
    const agentIds: WitType = { kind: 'list', element: named('types', 'agent-id') };
    for (const [i, name, ok] of [
      ['state', 'state-error', null],
      ['http', 'http-error', str],
      ['topics', 'topic-error', null],
      ['message-info', 'message-info-error', agentIds],
    ] as const) {
      const r: WitType = { kind: 'result', ok, err: named(i, name) };
      const payload = witPayloadOffset(pkg, r);
      const err = fields(i, name);
      assert.deepEqual(abi.KIND_RESULT, {
        payload,
        kind: payload + (err.offsets[0] ?? 0),
        message: payload + (err.offsets[1] ?? 0),
        ...witLayout(pkg, r),
      });
    }
  });

  it("enums: the cases, in the WIT's order", () => {
    assert.deepEqual(abi.PERFORMATIVE_CASES, enumCases('types', 'performative'));
    assert.deepEqual(abi.LOG_LEVELS, enumCases('types', 'log-level'));
    assert.deepEqual(abi.STATE_ERROR_KINDS, enumCases('state', 'state-error-kind'));
    assert.deepEqual(abi.HTTP_ERROR_KINDS, enumCases('http', 'http-error-kind'));
    assert.deepEqual(abi.TOPIC_ERROR_KINDS, enumCases('topics', 'topic-error-kind'));
    assert.deepEqual(abi.MESSAGE_INFO_ERROR_KINDS, enumCases('message-info', 'message-info-error-kind'));
  });
});
