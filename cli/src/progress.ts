/**
 * Upload progress on stderr (stdout stays clean for --json and pipes). Drawn only on a terminal,
 * redrawn in place at most ten times a second; on anything else it stays silent.
 */
import { formatBytes } from './format/units.js';
import type { OutputStream } from './io.js';

export class ProgressBar {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly out: OutputStream,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {}

  static enabled(out: OutputStream, quiet: boolean): boolean {
    return !quiet && out.isTTY === true;
  }

  /** The bar for `done` of `total`, `width` cells wide. Exposed for tests. */
  static render(label: string, done: number, total: number, width = 24): string {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const pct = String(Math.floor(ratio * 100)).padStart(3);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}%  ${formatBytes(done)} / ${formatBytes(total)}`;
  }

  update(done: number): void {
    const t = this.now();
    if (done < this.total && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.drawn = true;
    this.out.write(`\r${ProgressBar.render(this.label, done, this.total)}\x1b[K`);
  }

  /** Ends the line so the next output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
