/**
 * The node's own kill switch, in `<dataDir>/kill-switch.json`, written atomically and fsync'd
 * before a freeze or suspension is reported done: a frozen node that restarts (or crashes) comes
 * back frozen. An embedded node also keeps its suspended agents here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../registry/embedded/durable-fs.js';
import { KillSwitchUnreadableError } from './errors.js';
import { parseSwitchState, type SwitchState, type SwitchStore } from './switch-store.js';

export const SWITCH_FILE = 'kill-switch.json';

export class NodeSwitchFile implements SwitchStore {
  private readonly file: string;
  private state: SwitchState = { frozen: false, suspended: [] };
  /** Writes one at a time, each with the state as it is after every earlier change. */
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, SWITCH_FILE);
  }

  async read(): Promise<SwitchState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.copy();
      throw new KillSwitchUnreadableError(SWITCH_FILE, err);
    }
    try {
      this.state = parseSwitchState(text, this.file);
    } catch (err) {
      throw new KillSwitchUnreadableError(SWITCH_FILE, err);
    }
    return this.copy();
  }

  setFrozen(frozen: boolean): Promise<void> {
    return this.write({ ...this.state, frozen });
  }

  setSuspended(agent: string, suspended: boolean): Promise<void> {
    const set = new Set(this.state.suspended);
    if (suspended) set.add(agent);
    else set.delete(agent);
    return this.write({ ...this.state, suspended: [...set].sort() });
  }

  private write(next: SwitchState): Promise<void> {
    this.state = next;
    const bytes = new TextEncoder().encode(`${JSON.stringify(next)}\n`);
    const done = this.writing.then(() => writeFileAtomic(this.file, bytes));
    this.writing = done.catch(() => {});
    return done;
  }

  private copy(): SwitchState {
    return { frozen: this.state.frozen, suspended: [...this.state.suspended] };
  }
}
