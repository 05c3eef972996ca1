/** --log-format json (runtime/src/telemetry/json-log.ts, agent-log-printer.ts): line framing, levels, trace ids. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { formatJsonLogLine, idsOfTraceparent, levelOf, wrapStreamAsJson, type JsonLogTarget } from '../../src/telemetry/json-log.js';
import { printAgentLogsAsJson } from '../../src/node/agent-log-printer.js';
import type { BusEvent } from '../../src/bus/events.js';
import type { AgentLifecycleEvent } from '../../src/node/local-agents.js';

const at = new Date('2026-01-02T03:04:05.678Z');

test('formatJsonLogLine: one line, fixed fields, trace ids only when known', () => {
  const line = formatJsonLogLine({ time: at.toISOString(), level: 'warn', msg: 'a "quoted"\nthing', node: 'n1' });
  assert.ok(line.endsWith('\n'));
  assert.equal(line.indexOf('\n'), line.length - 1, 'a newline in msg is escaped, so one object is one line');
  assert.deepEqual(JSON.parse(line), { time: '2026-01-02T03:04:05.678Z', level: 'warn', msg: 'a "quoted"\nthing', node: 'n1' });
  const traced = JSON.parse(
    formatJsonLogLine({
      time: 't',
      level: 'info',
      msg: 'm',
      node: undefined,
      agent: 'a',
      trace_id: 'ab'.repeat(16),
      span_id: 'cd'.repeat(8),
    }),
  );
  assert.deepEqual(traced, {
    time: 't',
    level: 'info',
    msg: 'm',
    node: null,
    agent: 'a',
    trace_id: 'ab'.repeat(16),
    span_id: 'cd'.repeat(8),
  });
});

test('levelOf reads warnings and errors out of free text', () => {
  assert.equal(levelOf('caxton: WARNING: the API on 0.0.0.0 accepts calls from anyone', 'info'), 'warn');
  assert.equal(levelOf('caxton: error while stopping: boom', 'info'), 'error');
  assert.equal(levelOf('caxton: node n1 serving the API on 127.0.0.1:50051', 'info'), 'info');
});

test('idsOfTraceparent', () => {
  assert.deepEqual(idsOfTraceparent(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`), { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
  assert.equal(idsOfTraceparent('garbage'), undefined);
  assert.equal(idsOfTraceparent(undefined), undefined);
});

test('a wrapped stream: partial writes are held until their newline; JSON lines pass through; restore writes the rest', async () => {
  const out: string[] = [];
  const stream: JsonLogTarget = {
    write: (chunk) => {
      out.push(String(chunk));
      return true;
    },
  };
  let node: string | undefined;
  const restore = wrapStreamAsJson(
    stream,
    'info',
    () => node,
    () => at,
  );
  stream.write('caxton: starting');
  assert.equal(out.length, 0);
  node = 'n7';
  let called = false;
  stream.write(' up\ncaxton: WARNING: x\n{"event":"serving"}\n\ntail', () => {
    called = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.ok(called, 'the write callback is called');
  assert.deepEqual(
    out.map((l) => JSON.parse(l)),
    [
      { time: at.toISOString(), level: 'info', msg: 'caxton: starting up', node: 'n7' },
      { time: at.toISOString(), level: 'warn', msg: 'caxton: WARNING: x', node: 'n7' },
      { event: 'serving' },
    ],
  );
  restore();
  assert.equal(JSON.parse(out[3]!).msg, 'tail');
  stream.write('plain again\n');
  assert.equal(out[4], 'plain again\n', 'restored: writes are plain');
});

test('agent log lines are printed as JSON with the agent and the trace of the handling', () => {
  const bus = new Instrumentation<BusEvent>();
  const lifecycle = new Instrumentation<AgentLifecycleEvent>();
  const lines: string[] = [];
  const off = printAgentLogsAsJson(bus, lifecycle, 'n1', (l) => lines.push(l));
  bus.emit({
    type: 'log',
    agent: 'seller',
    line: { level: 'info', message: 'proposing 12', at: at.getTime() },
    trace: { traceId: '1'.repeat(32), spanId: '2'.repeat(16) },
  });
  bus.emit({ type: 'log', agent: 'seller', line: { level: 'trace', message: 'untraced', at: at.getTime() } });
  lifecycle.emit({ type: 'agent-log', agent: 'seller', level: 'info', message: 'deployed' });
  off();
  bus.emit({ type: 'log', agent: 'seller', line: { level: 'info', message: 'after off', at: 0 } });
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(parsed.length, 3);
  assert.deepEqual(parsed[0], {
    time: at.toISOString(),
    level: 'info',
    msg: 'proposing 12',
    node: 'n1',
    agent: 'seller',
    trace_id: '1'.repeat(32),
    span_id: '2'.repeat(16),
  });
  assert.equal(parsed[1]!['level'], 'debug');
  assert.equal(parsed[1]!['trace_id'], undefined);
  assert.equal(parsed[2]!['msg'], '[caxton] deployed');
});
