/**
 * The contract every agent must implement: the `agent` world of caxton:agent@0.1.0, read from
 * wit/agent.wit and turned into resolved types by encoding a reference component from it (jco's
 * `componentEmbed --dummy` + `componentNew`) and decoding that with the same decoder used for
 * artifacts. Comparing renderings of both therefore compares types structurally.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeComponent } from '../binary/component-decoder.js';
import type { Extern } from '../binary/component-types.js';
import { renderFunc, renderType } from '../binary/component-types.js';

export const CONTRACT_PACKAGE = 'caxton:agent';
export const CONTRACT_VERSION = '0.1.0';
export const CONTRACT_WORLD = 'agent';
export const HOST_INTERFACE = `${CONTRACT_PACKAGE}/host@${CONTRACT_VERSION}`;
export const TYPES_INTERFACE = `${CONTRACT_PACKAGE}/types@${CONTRACT_VERSION}`;
export const GUEST_INTERFACE = `${CONTRACT_PACKAGE}/guest@${CONTRACT_VERSION}`;
export const STATE_INTERFACE = `${CONTRACT_PACKAGE}/state@${CONTRACT_VERSION}`;

/** Interface name → member name → rendered type (functions and types alike). */
export type InterfaceShape = Map<string, string>;

export interface ContractShape {
  imports: Map<string, InterfaceShape>;
  exports: Map<string, InterfaceShape>;
}

/** Path of wit/agent.wit in this repository (runtime/dist/src/sandbox/artifact → repo root). */
export function defaultContractWitPath(): string {
  return fileURLToPath(new URL('../../../../wit/agent.wit', import.meta.url));
}

export function interfaceShape(ext: Extern): InterfaceShape | null {
  if (ext.sort !== 'instance') return null;
  const shape: InterfaceShape = new Map();
  for (const [name, member] of ext.type.exports) {
    if (member.sort === 'func') shape.set(name, renderFunc(member.type));
    else if (member.sort === 'type') shape.set(name, renderType(member.type));
    else shape.set(name, member.sort);
  }
  return shape;
}

const cache = new Map<string, Promise<ContractShape>>();

export function loadContract(witSource?: string): Promise<ContractShape> {
  const source = witSource ?? readFileSync(defaultContractWitPath(), 'utf8');
  let p = cache.get(source);
  if (!p) {
    p = buildContract(source);
    cache.set(source, p);
    p.catch(() => cache.delete(source));
  }
  return p;
}

async function buildContract(witSource: string): Promise<ContractShape> {
  const jco = await import('@bytecodealliance/jco');
  const core = await jco.componentEmbed({ dummy: true, witSource, world: CONTRACT_WORLD });
  const component = await jco.componentNew(core);
  const decoded = decodeComponent(component);
  const shape: ContractShape = { imports: new Map(), exports: new Map() };
  for (const [name, ext] of decoded.imports) {
    const s = interfaceShape(ext);
    if (s) shape.imports.set(name, s);
  }
  for (const [name, ext] of decoded.exports) {
    const s = interfaceShape(ext);
    if (s) shape.exports.set(name, s);
  }
  return shape;
}
