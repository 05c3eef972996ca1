/** Agent log files written off the bus thread: in order, rotated, bounded, a failing disk never throwing. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentLogFiles } from '../../src/node/agent-log-files.js';
import { AgentLogs } from '../../src/node/agent-logs.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'caxton-agent-log-files-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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

  it('moves a file past its size cap to <file>.1 before the next append, counting what was there before', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'chatty.log');
    writeFileSync(file, 'x'.repeat(90) + '\n'); // written by an earlier run of the node
    const files = new AgentLogFiles({ directory: dir, maxFileBytes: 100 });
    files.write('chatty', ['0123456789\n']); // 91 + 11 = 102 bytes: past the cap after this write
    await files.close();
    assert.equal(existsSync(`${file}.1`), false);
    files.write('chatty', ['next\n']);
    await files.close();
    assert.equal(readFileSync(`${file}.1`, 'utf8'), `${'x'.repeat(90)}\n0123456789\n`);
    assert.equal(readFileSync(file, 'utf8'), 'next\n');
  });

  it('past its bound of waiting bytes counts the lines it leaves out and says so in the file, in place of them', async () => {
    const dir = tempDir();
    const files = new AgentLogFiles({ directory: dir, maxPendingBytes: 100 });
    const many = lines(0, 40); // 8-9 bytes each: about a third fit
    files.write('flood', many);
    await files.close();
    const written = readFileSync(path.join(dir, 'flood.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const kept = written.filter((l) => l.startsWith('line '));
    const marker = written.filter((l) => l.includes('not written to this file'));
    assert.equal(marker.length, 1);
    const dropped = Number(/(\d+) log line\(s\) not written/.exec(marker[0]!)?.[1]);
    assert.ok(kept.length > 0 && kept.length < 40, `kept ${kept.length}`);
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

  it('never throws when the disk refuses, and writes again once it can', async () => {
    const dir = tempDir();
    const gone = path.join(dir, 'gone');
    const files = new AgentLogFiles({ directory: gone }); // no such directory
    files.write('echo', ['lost\n']);
    await files.close();
    assert.equal(existsSync(path.join(gone, 'echo.log')), false);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(gone);
    files.write('echo', ['kept\n']);
    await files.close();
    assert.equal(readFileSync(path.join(gone, 'echo.log'), 'utf8'), 'kept\n');
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
