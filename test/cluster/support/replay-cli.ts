/**
 * `caxton replay … --kafka --etcd --cluster --json` as an operator runs it beside a cluster, once the
 * topics hold the order of every handling that committed only an offset: a node writes the last of
 * those ORDER_FLUSH_MS after they ran (an order record, decision 2180), so a replay right after the
 * traffic may find some unordered (`unorderedHandlings` in its summary): it is read again until none
 * is, a few seconds at most.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';
import { CAXTON_BIN, ROOT } from './paths.js';
import { waitFor } from './cluster.js';
import type { Servers } from './servers.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One `caxton <args>` run to its end; a failed exit is a result, not a throw. */
export function caxtonRun(args: readonly string[]): Promise<CliRun> {
  return promisify(execFile)(process.execPath, [...wasmFeatureNodeFlags(), CAXTON_BIN, ...args], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  }).then(
    (out) => ({ code: 0, ...out }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );
}

function unordered(stdout: string): number {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{"type":"summary"')) continue;
    const history = (JSON.parse(line) as { history?: { unorderedHandlings?: number } }).history;
    return history?.unorderedHandlings ?? 0;
  }
  return 0;
}

/** `caxton replay <args> --json` against the cluster, once its topics hold every handling's order. */
export async function replayCluster(infra: Servers, cluster: string, args: readonly string[]): Promise<CliRun> {
  const run = () => caxtonRun(['replay', ...args, '--kafka', infra.kafka, '--etcd', infra.etcd, '--cluster', cluster, '--json']);
  let r = await run();
  return waitFor(
    `the topics to hold the order of every handling (caxton replay ${args.join(' ')})`,
    async () => {
      if (unordered(r.stdout) === 0) return r;
      r = await run();
      return undefined;
    },
    60_000,
  );
}
