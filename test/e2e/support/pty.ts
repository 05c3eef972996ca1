/**
 * A command on a pseudo-terminal, via util-linux `script`, for what the CLI only does on a
 * terminal: its upload progress bar. The test reads the bar as a user watches it, which is how it
 * knows an upload is under way before killing the CLI. The wrapped shell prints its pid and then
 * execs the command, so that pid is the command's own.
 */
import { spawnSync } from 'node:child_process';
import { Proc } from './processes.js';

export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class PtyRun {
  readonly proc: Proc;

  constructor(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
    const command = `echo PID=$$; exec ${argv.map(quote).join(' ')}`;
    this.proc = new Proc('script', ['-qfec', command, '/dev/null'], { env, cwd, timeoutMs: 120_000 });
  }

  /** The command's pid, once the shell printed it. */
  async pid(): Promise<number> {
    await this.proc.waitFor((p) => /PID=\d+/.test(p.stdout), 'the pid line');
    return Number(/PID=(\d+)/.exec(this.proc.stdout)![1]);
  }

  /** Terminal output as lines; the bar redraws with \r, so each redraw counts as a line. */
  screenLines(): string[] {
    return this.proc.stdout.split(/\r|\n/).filter((l) => l.trim() !== '');
  }
}
