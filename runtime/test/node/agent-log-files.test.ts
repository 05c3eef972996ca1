/** Agent logs: files written off the bus thread (in order, rotated, bounded, a failing disk never throwing) and rings within a text budget. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentLogFiles } from '../../src/node/agent-log-files.js';
import { AgentLogs } from '../../src/node/agent-logs.js';
import type { LogEntry } from '@caxton/core';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'caxton-agent-log-files-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** This process's descriptors open on files in `dir` (Linux: /proc/self/fd). */
function openInto(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // closed while listed
    }
  }
  return n;
}

/** Waits until `done()` holds, polling; `what` names it if it never does within 10 s (a failure bound only). */
async function until(what: string, done: () => boolean, each?: () => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 5));
    each?.();
  }
}

/** The file holds `text` (it exists and is a file). */
const fileHas = (file: string, text: string): boolean =>
  existsSync(file) && statSync(file).isFile() && readFileSync(file, 'utf8').includes(text);

const lines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`);

describe('agent log files', () => {
  it('appends every line in order, the lines queued while a write is in flight joined into the next', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir });
    for (let i = 0; i < 50; i++) files.write('echo', lines(i * 10, i * 10 + 10));
    await files.close();
    assert.equal(readFileSync(path.join(dir, 'echo.log'), 'utf8'), lines(0, 500).join(''));
  });

  it('keeps one file per agent, a name with odd characters made safe', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir });
    files.write('a', ['one\n']);
    files.write('../b', ['two\n']);
    await files.close();
    assert.equal(readFileSync(path.join(dir, 'a.log'), 'utf8'), 'one\n');
    assert.equal(readFileSync(path.join(dir, '.._b.log'), 'utf8'), 'two\n');
    assert.equal(existsSync(path.join(path.dirname(dir), 'b.log')), false);
  });

  it('moves a file past its size cap to <file>.1 before the next append, counting what an earlier run wrote', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'chatty.log');
    writeFileSync(file, `${'x'.repeat(90)}\n`); // written by an earlier run of the node
    const first = new AgentLogFiles({ directory: dir, maxFileBytes: 100 });
    first.write('chatty', ['0123456789\n']); // 91 + 11 = 102 bytes: past the cap after this write
    await first.close();
    assert.equal(existsSync(`${file}.1`), false);
    const next = new AgentLogFiles({ directory: dir, maxFileBytes: 100 }); // the node started again
    next.write('chatty', ['next\n']);
    await next.close();
    assert.equal(readFileSync(`${file}.1`, 'utf8'), `${'x'.repeat(90)}\n0123456789\n`);
    assert.equal(readFileSync(file, 'utf8'), 'next\n');
  });

  it('rotates a file that grows past its cap while open', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'chatty.log');
    const files = new AgentLogFiles({ directory: dir, maxFileBytes: 30 });
    for (let i = 0; i < 8; i++) {
      files.write('chatty', [`line ${i} of eight\n`]); // 16 bytes each, one batch each
      await until(`line ${i} never written`, () => existsSync(file) && readFileSync(file, 'utf8').endsWith(`line ${i} of eight\n`));
    }
    await files.close();
    // 16 bytes a line, moved once a file holds more than 30: the last two lines stay, the two before them moved.
    assert.equal(readFileSync(file, 'utf8'), 'line 6 of eight\nline 7 of eight\n');
    assert.equal(readFileSync(`${file}.1`, 'utf8'), 'line 4 of eight\nline 5 of eight\n');
  });

  it('past its bound of waiting bytes counts the lines it leaves out and says so in the file, in place of them', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir, maxPendingBytes: 100 });
    const many = lines(0, 40); // 7-8 bytes each; a file may hold a quarter of the 100 waiting: 3 fit
    files.write('flood', many);
    await files.close();
    const written = readFileSync(path.join(dir, 'flood.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const kept = written.filter((l) => l.startsWith('line '));
    const marker = written.filter((l) => l.includes('not written to this file'));
    assert.equal(marker.length, 1);
    const dropped = Number(/(\d+) log line\(s\) not written/.exec(marker[0]!)?.[1]);
    assert.equal(kept.length, 3);
    assert.equal(kept.length + dropped, 40);
    assert.deepEqual(
      kept,
      many.slice(0, kept.length).map((l) => l.trimEnd()),
    );
  });

  it('keeps at most maxOpenFiles files open, closing the least recently written, and every line still lands in order', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir, maxOpenFiles: 2 });
    const agents = ['a', 'b', 'c', 'd', 'e'];
    for (let round = 0; round < 20; round++) {
      for (const agent of agents) files.write(agent, [`${agent} ${round}\n`]);
      if (round % 3 === 0) await new Promise((r) => setImmediate(r)); // let some writes finish between rounds
    }
    await files.close();
    for (const agent of agents) {
      const expected = Array.from({ length: 20 }, (_, round) => `${agent} ${round}\n`).join('');
      assert.equal(readFileSync(path.join(dir, `${agent}.log`), 'utf8'), expected, agent);
    }
  });

  /**
   * Lines written while a directory stands where their file should be (every open fails EISDIR),
   * until the writer was refused `refusals` times; then the directory goes and one more line comes.
   * Returns the file's lines once that line is in it.
   */
  async function refusedThenWritten(lost: string[], refusals: number): Promise<string[]> {
    const dir = tempDir();
    const file = path.join(dir, 'echo.log');
    mkdirSync(file);
    const files = new AgentLogFiles({ directory: dir });
    files.write('echo', lost);
    await until(`the write was not refused ${refusals} time(s)`, () => files.refusedWrites >= refusals);
    rmSync(file, { recursive: true });
    files.write('echo', ['kept\n']); // wakes the writer; the retry comes about a second after the refusal
    await until('the refused file was never written again', () => fileHas(file, 'kept'));
    await files.close();
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  it('a batch the disk refuses is counted in the file once it can write again, a second later, and never thrown', async () => {
    const written = await refusedThenWritten(['lost 1\n', 'lost 2\n'], 1);
    assert.equal(written.length, 2);
    assert.match(written[0]!, /WARN {2}2 log line\(s\) not written to this file: the disk refused them \(EISDIR\)$/);
    assert.equal(written[1], 'kept');
  });

  it('keeps the count through a second refusal, one marker for every line the disk refused', async () => {
    const written = await refusedThenWritten(['lost 1\n', 'lost 2\n', 'lost 3\n'], 2);
    assert.equal(written.length, 2);
    assert.match(written[0]!, / 3 log line\(s\) not written to this file: the disk refused them \(EISDIR\)$/);
    assert.equal(written[1], 'kept');
  });

  it('makes the directory again when it was removed under the node', async () => {
    const dir = tempDir();
    const logs = path.join(dir, 'logs');
    mkdirSync(logs);
    const files = new AgentLogFiles({ directory: logs });
    files.write('echo', ['one\n']);
    await files.close();
    rmSync(logs, { recursive: true });
    const again = new AgentLogFiles({ directory: logs });
    again.write('echo', ['two\n']);
    await again.close();
    assert.equal(readFileSync(path.join(logs, 'echo.log'), 'utf8'), 'two\n');
  });

  it('holds at most maxOpenFiles descriptors however many agents log in one turn, and closes idle files', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir, maxOpenFiles: 3, idleCloseMs: 50 });
    for (let i = 0; i < 20; i++) files.write(`agent-${i}`, [`line of ${i}\n`]);
    let most = openInto(dir);
    await until(
      'the twenty files were never all written and closed',
      () => readdirSync(dir).length >= 20 && openInto(dir) === 0,
      () => {
        most = Math.max(most, openInto(dir));
      },
    );
    assert.ok(most <= 3, `${most} files open at once`);
    for (let i = 0; i < 20; i++) assert.equal(readFileSync(path.join(dir, `agent-${i}.log`), 'utf8'), `line of ${i}\n`);
    await files.close();
  });

  it('takes no lines after close() and leaves nothing open', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir });
    files.write('echo', ['before\n']);
    await files.close();
    files.write('echo', ['after\n']);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(readFileSync(path.join(dir, 'echo.log'), 'utf8'), 'before\n');
    assert.equal(openInto(dir), 0);
  });

  it("AgentLogs writes a kind instance's lines to its kind's file, marked with the key, and close() waits for them", async () => {
    const dir = tempDir();
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 10, directory: dir });
    logs.append('counter/alice', { level: 'info', message: 'counted 1', at: Date.UTC(2026, 0, 1) });
    logs.append('echo', { level: 'warn', message: 'hello', at: Date.UTC(2026, 0, 1) });
    await logs.close();
    assert.equal(readFileSync(path.join(dir, 'counter.log'), 'utf8'), '2026-01-01T00:00:00.000Z INFO  [alice] counted 1\n');
    assert.equal(readFileSync(path.join(dir, 'echo.log'), 'utf8'), '2026-01-01T00:00:00.000Z WARN  hello\n');
  });
});

describe('agent log rings', () => {
  const query = (logs: AgentLogs, agent: string, limit?: number): LogEntry[] => {
    const got: LogEntry[] = [];
    logs.query({ agent, follow: false, ...(limit !== undefined ? { limit } : {}) }, { next: (e) => got.push(e), end: () => {} });
    return got;
  };

  it("a kind instance's lines are limited by its own count, not its kind's (caxton logs counter/alice --limit 2)", () => {
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 100 });
    for (let i = 0; i < 5; i++) {
      logs.append('counter/alice', { level: 'info', message: `a${i}`, at: i });
      logs.append('counter/bob', { level: 'info', message: `b${i}`, at: i });
    }
    assert.deepEqual(
      query(logs, 'counter/alice', 2).map((e) => e.message),
      ['[alice] a3', '[alice] a4'],
    );
    assert.equal(query(logs, 'counter/alice').length, 5, 'no limit: all of its lines');
    const live: string[] = [];
    const stop = logs.query({ agent: 'counter/bob', follow: true, limit: 1 }, { next: (e) => live.push(e.message), end: () => {} });
    logs.append('counter/bob', { level: 'info', message: 'b5', at: 5 });
    stop();
    assert.deepEqual(live, ['[bob] b4', '[bob] b5'], 'the last stored line, then the live ones');
  });

  it('keep an agent within its text budget however long its lines, the newest kept', () => {
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 1000, unitsPerAgent: 100_000, lineUnits: 30_000 });
    for (let i = 0; i < 50; i++) logs.append('loud', { level: 'info', message: `${i}:${'x'.repeat(250_000)}`, at: i });
    const kept = query(logs, 'loud');
    const units = kept.reduce((n, e) => n + e.message.length, 0);
    assert.ok(units <= 100_000, `${units} code units kept`);
    assert.equal(kept.length, 3);
    assert.deepEqual(
      kept.map((e) => e.message.split(':')[0]),
      ['47', '48', '49'],
    );
    assert.match(kept[2]!.message, / … \[220003 more characters not kept here\]$/);
  });

  it('cut a long line between characters, never half a surrogate pair', () => {
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 10, lineUnits: 5 });
    logs.append('emoji', { level: 'info', message: 'abcd😀efgh', at: 0 }); // the pair at units 4-5
    assert.equal(query(logs, 'emoji')[0]!.message, 'abcd … [6 more characters not kept here]');
  });

  it('keep one line even when it alone is past the budget, and the line count still bounds them', () => {
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 4, unitsPerAgent: 10, lineUnits: 100 });
    logs.append('a', { level: 'info', message: 'x'.repeat(50), at: 0 });
    assert.equal(query(logs, 'a').length, 1);
    for (let i = 0; i < 10; i++) logs.append('b', { level: 'info', message: String(i), at: i });
    assert.deepEqual(
      query(logs, 'b').map((e) => e.message),
      ['6', '7', '8', '9'],
    );
  });

  it('give a live follower the whole line, and the file too', async () => {
    const dir = tempDir();
    const logs = new AgentLogs({ nodeId: 'n1', linesPerAgent: 10, lineUnits: 5, directory: dir });
    const live: string[] = [];
    logs.query({ agent: 'echo', follow: true }, { next: (e) => live.push(e.message), end: () => {} });
    logs.append('echo', { level: 'info', message: 'abcdefghij', at: Date.UTC(2026, 0, 1) });
    await logs.close();
    assert.deepEqual(live, ['abcdefghij']);
    assert.equal(readFileSync(path.join(dir, 'echo.log'), 'utf8'), '2026-01-01T00:00:00.000Z INFO  abcdefghij\n');
  });
});
