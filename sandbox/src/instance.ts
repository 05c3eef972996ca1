/**
 * One live instance of an agent: its own memories, its own imports, its own fuel counters. Made
 * synchronously from a prepared artifact (instance state starts from the artifact, never from
 * another instance), used until it traps, then thrown away.
 */
import './webassembly-types.js';
import type { Artifact } from './artifact/artifact.js';
import type { FuelMeter } from './fuel/meter.js';
import type { HostBridge } from './host/bridge.js';
import type { AclMessage } from '@caxton/core';
import type { WitAclMessage, WitInitContext } from './host/wit-values.js';
import { WASM_PAGE_BYTES } from './limits/rewrite.js';
import { SandboxError } from './errors.js';
import { THREAD_MEMORY_POOL, type MemoryPool } from './memory-pool.js';

/** A guest export's verdict: ok, or the error string it returned. Traps are thrown. */
export type GuestReturn = { ok: true } | { ok: false; error: string };

export interface GuestInstance {
  init(ctx: WitInitContext): GuestReturn;
  handle(message: WitAclMessage): GuestReturn;
  /**
   * `handle` of a runtime message that is not narrowed (decision 2001), lowered straight from it
   * as `messageToWit` would convert it (decision 2108); a binding without it gets `handle`.
   */
  handleAcl?(message: AclMessage): GuestReturn;
  onTimer(token: string): GuestReturn;
  /** Total size of the instance's memories, in pages. */
  memoryPages(): number;
  /** End-of-call housekeeping (flush partial stdout/stderr lines). */
  afterCall(): void;
  /**
   * The instance is done: its memories go back to the pool (decision 2194) and every later call
   * throws. Called once its owner drops it (a crash, a stop, a replacement), never during a call.
   */
  release(): void;
}

export interface InstanceEnv {
  /** The agent's name (error context). */
  agent: string;
  bridge: HostBridge;
  meter: FuelMeter;
  /** The agent's memory budget, in pages, shared by all the instance's memories. */
  memoryCapPages: number;
}

/**
 * Memories the host creates for an instance (the modules import them, see limits/rewrite.ts), under
 * one budget for the whole agent: a component with K modules does not get K × the cap. Each memory
 * is created with at most what is left of the budget as its maximum, and every later growth asks
 * `admits` first (through the fuel pass's grow hook), so the sum never passes the cap.
 */
export class InstanceMemories {
  readonly all: WebAssembly.Memory[] = [];
  /** Each memory's shape as created: how the pool files it. */
  private readonly shapes: [initial: number, maximum: number][] = [];

  constructor(
    private readonly capPages: number,
    private readonly agent = '',
    private readonly pool: MemoryPool = THREAD_MEMORY_POOL,
  ) {}

  create(initialPages: number, declaredMaxPages: number | null): WebAssembly.Memory {
    const left = this.capPages - this.pages();
    if (initialPages > left) {
      throw new SandboxError(
        'sandbox.limits.memory-below-initial',
        `the agent's memories start with more than its memory cap of ${this.capPages} pages (${this.pages()} in use, ${initialPages} more asked)`,
        {
          context: { agent: this.agent },
          hint: `Raise memoryPages above ${this.pages() + initialPages}, or build the agent with less initial memory.`,
        },
      );
    }
    const maximum = Math.max(Math.min(left, declaredMaxPages ?? left), initialPages);
    const memory = this.pool.take(initialPages, maximum);
    this.all.push(memory);
    this.shapes.push([initialPages, maximum]);
    return memory;
  }

  /** Gives every memory back to the pool; the instance using them must be dead. */
  release(): void {
    for (let i = 0; i < this.all.length; i++) this.pool.give(this.all[i]!, this.shapes[i]![0], this.shapes[i]![1]);
    this.all.length = 0;
    this.shapes.length = 0;
  }

  /** Whether growing one of the memories by `pages` stays within the agent's budget. */
  admits(pages: number): boolean {
    return this.pages() + pages <= this.capPages;
  }

  pages(): number {
    let bytes = 0;
    for (const m of this.all) bytes += m.buffer.byteLength;
    return bytes / WASM_PAGE_BYTES;
  }
}

export type InstanceFactory = (artifact: Artifact, env: InstanceEnv) => GuestInstance;
