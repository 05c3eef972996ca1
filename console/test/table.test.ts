import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentRow } from '@caxton/core';
import { formatBytes, nextSort, visibleRows } from '../src/model/table.js';

const row = (name: string, over: Partial<AgentRow> = {}): AgentRow => ({
  name,
  language: 'rust',
  state: 'Running',
  node: 'n1',
  version: 1,
  handled: 0,
  fuelPerMessage: 0,
  memoryBytes: 65536,
  mailboxDepth: 0,
  restarts: 0,
  ...over,
});

describe('agents table model', () => {
  const rows = [
    row('contractor-2@n1', { handled: 5, language: 'assemblyscript' }),
    row('initiator@n1', { handled: 30, language: 'javascript', signer: 'ops' }),
    row('contractor-1@n1', { handled: 12, language: 'assemblyscript', state: 'Stopped' }),
  ];

  it('sorts by name ascending first, numbers numerically, and flips on a second click', () => {
    assert.deepEqual(
      visibleRows(rows, '', { column: 'name', descending: false }).map((r) => r.name),
      ['contractor-1@n1', 'contractor-2@n1', 'initiator@n1'],
    );
    const byHandled = nextSort({ column: 'name', descending: false }, 'handled');
    assert.deepEqual(byHandled, { column: 'handled', descending: false });
    assert.deepEqual(
      visibleRows(rows, '', byHandled).map((r) => r.handled),
      [5, 12, 30],
    );
    assert.deepEqual(
      visibleRows(rows, '', nextSort(byHandled, 'handled')).map((r) => r.handled),
      [30, 12, 5],
    );
  });

  it('puts rows without a value (no signer yet) last in either direction', () => {
    assert.equal(visibleRows(rows, '', { column: 'signer', descending: false })[0]!.name, 'initiator@n1');
    assert.equal(visibleRows(rows, '', { column: 'signer', descending: true })[0]!.name, 'initiator@n1');
  });

  it('filters by every word, in any column, ignoring case', () => {
    assert.deepEqual(
      visibleRows(rows, 'CONTRACTOR stopped', { column: 'name', descending: false }).map((r) => r.name),
      ['contractor-1@n1'],
    );
    assert.deepEqual(
      visibleRows(rows, 'javascript', { column: 'name', descending: false }).map((r) => r.name),
      ['initiator@n1'],
    );
    assert.equal(visibleRows(rows, 'nothing-like-this', { column: 'name', descending: false }).length, 0);
  });

  it('formats sizes for people', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(65536), '64.0 KiB');
    assert.equal(formatBytes(3 * 1024 * 1024 * 1024), '3.0 GiB');
  });
});
