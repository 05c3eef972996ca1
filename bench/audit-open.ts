/**
 * Opening a big file audit trail (decision 1790): `node bench/dist/audit-open.js [--records N]`.
 *
 * Writes a trail of N records (default 200,000) twice — as one segment (what every trail was before
 * segments: a single file) and in 4 MiB segments — then, for each, opens it in a fresh process and
 * reports how long the open took, how much the heap and the resident set grew, and the append rate
 * after it (one caller; 64 callers), so the cost of segments on the write path shows too.
 *
 * `--module <path to another runtime build's index.js>` opens the one-segment trail with that
 * build instead (the "before": a build from before segments reads the single file whole).
 * `--open <dir> [--segment-bytes B] [--module M]` is the child that opens and measures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AUDIT_SEGMENT_LIMIT_TABLE, type AuditEntry } from '@caxton/core';
import { FileAuditTrail, sha256Hex } from '@caxton/runtime';
import { percentile, report } from './lib-output.js';
import { arg } from './lib-args.js';

function entry(i: number): AuditEntry {
  return {
    time: new Date().toISOString(),
    node: 'bench',
    method: 'SendMessage',
    role: 'admin',
    token: 'feedfacecafebeef',
    peer: '127.0.0.1:50000',
    args: { sha256: sha256Hex(Buffer.from(String(i))), bytes: 120, fields: { performative: 'request', receivers: `agent-${i % 50}` } },
    result: { code: 'OK', error: '' },
  };
}

interface Appender {
  append(e: AuditEntry): Promise<unknown>;
}

async function appendRate(trail: Appender, records: number, callers: number, from: number): Promise<{ perSecond: number; p50: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < records; i = next++) {
        const s = performance.now();
        await trail.append(entry(from + i));
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { perSecond: records / ((performance.now() - t0) / 1000), p50: percentile(latencies, 50) };
}

/** The child: open the trail in `dir` and measure. */
async function openOnce(dir: string): Promise<void> {
  const module = arg('module', '');
  const Trail = module
    ? ((await import(pathToFileURL(module).href)) as { FileAuditTrail: typeof FileAuditTrail }).FileAuditTrail
    : FileAuditTrail;
  const segmentBytes = Number(arg('segment-bytes', '0'));
  global.gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const trail = await Trail.open({ dir, ...(segmentBytes > 0 ? { segmentBytes } : {}) } as Parameters<typeof FileAuditTrail.open>[0]);
  const openMs = performance.now() - t0;
  global.gc?.();
  const after = process.memoryUsage();
  const head = await trail.currentHead();
  const one = await appendRate(trail, 200, 1, head!.index + 1);
  const many = await appendRate(trail, 2000, 64, head!.index + 201);
  await trail.close();
  process.stdout.write(
    `${JSON.stringify({
      openMs,
      heapGrowthMB: (after.heapUsed - before.heapUsed) / 2 ** 20,
      rssGrowthMB: (after.rss - before.rss) / 2 ** 20,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      oneCaller: one,
      callers64: many,
    })}\n`,
  );
}

async function main(): Promise<void> {
  const records = Number(arg('records', '200000'));
  for (const [layout, segmentBytes] of [
    ['one_segment', AUDIT_SEGMENT_LIMIT_TABLE.segmentBytes.ceiling],
    ['segments_4MiB', AUDIT_SEGMENT_LIMIT_TABLE.segmentBytes.default],
  ] as const) {
    const dir = await mkdtemp(join(tmpdir(), 'caxton-bench-audit-open-'));
    try {
      const writer = await FileAuditTrail.open({ dir, segmentBytes, maxBatch: 4096 });
      await appendRate(writer, records, 4096, 0);
      await writer.close();
      const other = arg('module', '');
      const module = other && layout === 'one_segment' ? ['--module', other] : [];
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', fileURLToPath(import.meta.url), '--open', dir, '--segment-bytes', String(segmentBytes), ...module],
        { encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(`the child failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout) as {
        openMs: number;
        heapGrowthMB: number;
        rssGrowthMB: number;
        maxRssMB: number;
        oneCaller: { perSecond: number; p50: number };
        callers64: { perSecond: number; p50: number };
      };
      report({
        bench: 'audit-open',
        metric: `${layout}_open_ms`,
        value: Math.round(r.openMs),
        unit: 'ms',
        note: `${records} records${module.length ? ', other build' : ''}; heap +${r.heapGrowthMB.toFixed(1)} MB, RSS +${r.rssGrowthMB.toFixed(0)} MB, max RSS ${r.maxRssMB.toFixed(0)} MB`,
      });
      report({
        bench: 'audit-open',
        metric: `${layout}_appends_per_s_one_caller`,
        value: Math.round(r.oneCaller.perSecond),
        unit: 'appends/s',
        note: `p50 ${r.oneCaller.p50.toFixed(2)} ms`,
      });
      report({
        bench: 'audit-open',
        metric: `${layout}_appends_per_s_64_callers`,
        value: Math.round(r.callers64.perSecond),
        unit: 'appends/s',
        note: `p50 ${r.callers64.p50.toFixed(2)} ms`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const dir = arg('open', '');
await (dir ? openOnce(dir) : main());
