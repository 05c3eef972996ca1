/**
 * The node's own lines over OTLP (node-log-export.ts, issue 59): a tap on the node's stderr makes
 * each whole line one log record — its level as the line reads, its time — while the stream gets
 * every chunk exactly as written. Real SDK logger provider, exporting into
 * the SDK's own in-memory exporter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { exportNodeLines, MAX_NODE_LINE_BYTES, nodeLineRecord } from '../../src/telemetry/node-log-export.js';
import type { JsonLogTarget } from '../../src/telemetry/json-log.js';

function setUp(): { stream: JsonLogTarget & { text: string }; exporter: InMemoryLogRecordExporter; untap: () => void } {
  const exporter = new InMemoryLogRecordExporter();
  const logger = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] }).getLogger('caxton.node.logs');
  const stream = {
    text: '',
    write(chunk: string | Uint8Array): boolean {
      this.text += String(chunk);
      return true;
    },
  } as JsonLogTarget & { text: string };
  const untap = exportNodeLines(stream, logger, () => 1_700_000_000_123);
  return { stream, exporter, untap };
}

test('each whole line is one record with its level and time; the stream gets every chunk unchanged', () => {
  const { stream, exporter, untap } = setUp();
  stream.write('caxton: node n1 serving the API on 127.0.0.1:1\n');
  stream.write('caxton: cluster: warning: the wake index is not switched on');
  stream.write(' for 4 partitions\ncaxton: audit trail: closing failed: EIO\n\n');
  assert.equal(
    stream.text,
    'caxton: node n1 serving the API on 127.0.0.1:1\ncaxton: cluster: warning: the wake index is not switched on for 4 partitions\ncaxton: audit trail: closing failed: EIO\n\n',
  );
  const records = exporter.getFinishedLogRecords();
  assert.deepEqual(
    records.map((r) => [r.body, r.severityText, r.severityNumber]),
    [
      ['caxton: node n1 serving the API on 127.0.0.1:1', 'INFO', SeverityNumber.INFO],
      ['caxton: cluster: warning: the wake index is not switched on for 4 partitions', 'WARN', SeverityNumber.WARN],
      ['caxton: audit trail: closing failed: EIO', 'ERROR', SeverityNumber.ERROR],
    ],
  );
  assert.deepEqual(records[0]!.hrTime, [1_700_000_000, 123_000_000]);
  stream.write('a partial line at the end');
  assert.equal(exporter.getFinishedLogRecords().length, 3, 'held until its newline');
  untap();
  assert.equal(exporter.getFinishedLogRecords().at(-1)!.body, 'a partial line at the end', 'removing the tap emits the held part');
  stream.write('after\n');
  assert.equal(exporter.getFinishedLogRecords().length, 4, 'nothing after the tap is removed');
});

test('a JSON line (--log-format json, serve --json) is exported with its msg and level; an oversized line is cut and says so', () => {
  assert.deepEqual(nodeLineRecord('{"time":"t","level":"warn","msg":"caxton: prepare cache: evicted 3","node":"n1"}'), {
    body: 'caxton: prepare cache: evicted 3',
    level: 'warn',
  });
  assert.deepEqual(nodeLineRecord('{"event":"serving","address":"127.0.0.1:1"}'), {
    body: '{"event":"serving","address":"127.0.0.1:1"}',
    level: 'info',
  });
  assert.equal(nodeLineRecord('   '), undefined);
  const long = nodeLineRecord(`caxton: ${'x'.repeat(MAX_NODE_LINE_BYTES * 2)}`)!;
  assert.ok(Buffer.byteLength(long.body) < MAX_NODE_LINE_BYTES + 32);
  assert.match(long.body, new RegExp(`… \\(${MAX_NODE_LINE_BYTES * 2 + 8} bytes\\)$`));
  // A character split between two byte chunks is read whole; a string in another encoding is decoded.
  const split = setUp();
  const bytes = Buffer.from('caxton: café ☕\n');
  split.stream.write(bytes.subarray(0, 12));
  split.stream.write(bytes.subarray(12));
  split.stream.write(Buffer.from('caxton: hex\n').toString('hex'), 'hex');
  assert.deepEqual(
    split.exporter.getFinishedLogRecords().map((r) => r.body),
    ['caxton: café ☕', 'caxton: hex'],
  );
  // A writer that never ends its line does not grow the held text past the bound.
  const { stream, exporter } = setUp();
  stream.write('y'.repeat(MAX_NODE_LINE_BYTES + 1));
  assert.equal(exporter.getFinishedLogRecords().length, 1, 'emitted once past the bound');
});
