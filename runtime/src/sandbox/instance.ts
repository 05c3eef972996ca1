/**
 * One live instance of an agent: its own memories, its own imports, its own fuel counters. Made
 * synchronously from a prepared artifact (instance state starts from the artifact, never from
 * another instance), used until it traps, then thrown away.
 */
import './webassembly-types.js';
import type { Artifact } from './artifact/artifact.js';
import type { FuelMeter } from './fuel/meter.js';
import type { HostBridge } from './host/bridge.js';
import type { WitAclMessage, WitInitContext } from './host/wit-values.js';
import { WASM_PAGE_BYTES } from './limits/rewrite.js';

/** A guest export's verdict: ok, or the error string it returned. Traps are thrown. */
export type GuestReturn = { ok: true } | { ok: false; error: string };

export interface GuestInstance {
  init(ctx: WitInitContext): GuestReturn;
  handle(message: WitAclMessage): GuestReturn;
  onTimer(token: string): GuestReturn;
  /** Total size of the instance's memories, in pages. */
  memoryPages(): number;
  /** End-of-call housekeeping (flush partial stdout/stderr lines). */
  afterCall(): void;
}

export interface InstanceEnv {
  bridge: HostBridge;
  meter: FuelMeter;
  /** Cap for each memory of the instance, in pages. */
  memoryCapPages: number;
}

/** Memories the host creates for an instance (the modules import them, see limits/rewrite.ts). */
export class InstanceMemories {
  readonly all: WebAssembly.Memory[] = [];

  constructor(private readonly capPages: number) {}

  create(initialPages: number, declaredMaxPages: number | null): WebAssembly.Memory {
    const maximum = Math.min(this.capPages, declaredMaxPages ?? this.capPages);
    const memory = new WebAssembly.Memory({ initial: initialPages, maximum: Math.max(maximum, initialPages) });
    this.all.push(memory);
    return memory;
  }

  pages(): number {
    let bytes = 0;
    for (const m of this.all) bytes += m.buffer.byteLength;
    return bytes / WASM_PAGE_BYTES;
  }
}

export type InstanceFactory = (artifact: Artifact, env: InstanceEnv) => GuestInstance;
