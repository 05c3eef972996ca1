/**
 * A real JADE platform for the interop tests (decision 1910): `jade.Boot` in its own JVM, its HTTP
 * MTP on loopback, the test's compiled agents on its class path, and what it prints kept so a test
 * waits for a line rather than for a time. JADE comes from CAXTON_JADE_JAR only (the tests skip
 * without it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What a child process printed, and the waits for a line of it. */
export class ProcessOutput {
  text = '';
  private readonly wake = new Set<() => void>();

  constructor(private readonly what: string) {}

  /** Appends a chunk of the child's stdout or stderr and wakes the waits. */
  take = (chunk: Buffer): void => {
    this.text += chunk.toString('utf8');
    for (const w of [...this.wake]) w();
  };

  /** Resolves with the first line printed matching `re`; rejects after `ms` with what was printed. */
  lineFrom(re: RegExp, ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.text.split('\n').find((l) => re.test(l));
        if (line === undefined) return;
        this.wake.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.wake.delete(check);
        reject(new Error(`${this.what} printed no line matching ${re} within ${ms} ms; it printed:\n${this.text.slice(-3000)}`));
      }, ms);
      this.wake.add(check);
      check();
    });
  }
}

export interface JadePlatformOptions {
  /** jade.jar (CAXTON_JADE_JAR). */
  jar: string;
  /** Where the test's agents were compiled; JADE writes APDescription.txt and MTPs-*.txt there too. */
  dir: string;
  /** The HTTP MTP's address, e.g. http://127.0.0.1:7778/acc. */
  acc: string;
  /** The platform's intra-platform port. */
  port: number;
  platformId: string;
  /** `-agents`: `name:Class(args);…`. */
  agents: string;
  /** More `jade.Boot` options, before `-agents`. */
  options?: readonly string[];
}

export interface JadePlatform {
  process: ChildProcess;
  out: ProcessOutput;
  /** SIGTERM, then waits for the JVM to exit (nothing when it already has). */
  stop(): Promise<void>;
}

export function startJadePlatform(o: JadePlatformOptions): JadePlatform {
  const child = spawn(
    'java',
    [
      '-cp',
      `${o.jar}${path.delimiter}${o.dir}`,
      'jade.Boot',
      '-mtps',
      `jade.mtp.http.MessageTransportProtocol(${o.acc})`,
      '-port',
      String(o.port),
      '-local-host',
      '127.0.0.1',
      '-platform-id',
      o.platformId,
      ...(o.options ?? []),
      '-agents',
      o.agents,
    ],
    { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = new ProcessOutput('JADE');
  child.stdout!.on('data', out.take);
  child.stderr!.on('data', out.take);
  return {
    process: child,
    out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
