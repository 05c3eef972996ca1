/**
 * `caxton serve` in a child process, exactly as an operator runs it (cli/bin/caxton.js), with extra
 * flags and environment: what the telemetry tests start. The node prints `{"event":"serving"}` on
 * stdout (--json) once its API listens, and `caxton: telemetry: …` lines saying where telemetry goes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CaxtonClient } from '@caxton/runtime';
import { CAXTON_BIN, ROOT } from '../../cluster/support/paths.js';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';

export class ServeProcess {
  private out = '';
  private err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  address = '';
  private client: CaxtonClient | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly ownsDir: boolean,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(flags: string[], env: Record<string, string> = {}, dataDir?: string): ServeProcess {
    const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'caxton-ops-'));
    const args = [...wasmFeatureNodeFlags(), CAXTON_BIN, 'serve', '--json', '--no-auth', '--api-port', '0', '--data-dir', dir, ...flags];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    return new ServeProcess(child, dir, dataDir === undefined);
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** Every complete stdout/stderr line that is a JSON object. */
  jsonLines(stream: 'stdout' | 'stderr'): Record<string, unknown>[] {
    const text = stream === 'stdout' ? this.out : this.err;
    return text
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async ready(timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const serving = this.jsonLines('stdout').find((e) => e['event'] === 'serving' && typeof e['address'] === 'string');
      if (serving) return (this.address = serving['address'] as string);
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`caxton serve exited before serving:\n${this.err.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`caxton serve did not serve within ${timeoutMs} ms:\n${this.err.slice(-3000)}`);
  }

  /** host:port of the Prometheus endpoint, from the line serve prints about it. */
  prometheusAddress(): string {
    const m = /Prometheus at http:\/\/([^/\s]+)\/metrics/.exec(this.out + this.err);
    if (!m) throw new Error(`serve printed no Prometheus address:\n${this.err.slice(-2000)}`);
    return m[1]!;
  }

  async api(): Promise<CaxtonClient> {
    this.client ??= await CaxtonClient.connect({ address: this.address });
    return this.client;
  }

  /** SIGTERM (what Ctrl-C does), SIGKILL after `graceMs`; the data dir is deleted if it was ours. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.client?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
    return this.exited;
  }
}
