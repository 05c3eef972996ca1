/** The last step of a compiled language's build: its core module made a component of the agent world. */
import { checkCoreModule, makeComponent, type CoreModuleRules, type JcoApi } from '../component.js';
import type { BuildContext } from './language.js';

/** How a language's core module is embedded: its strings' encoding, and whether it needs WASI preview1's reactor adapter. */
export interface Embedding {
  stringEncoding: 'utf8' | 'utf16';
  wasiReactor: boolean;
  /** The language announced the componentize step itself (with its own words); otherwise it is announced here. */
  announced?: boolean;
}

/**
 * Checks `core` against the agent world's rules, then makes it a component of the build's world
 * (jco embed, then jco new). Every compiled language ends so; only the rules and the embedding differ.
 */
export async function componentOfWorld(
  ctx: BuildContext,
  jco: JcoApi | (() => Promise<JcoApi>),
  core: Uint8Array,
  rules: CoreModuleRules,
  { announced = false, ...embedding }: Embedding,
): Promise<Uint8Array> {
  checkCoreModule(ctx.project.dir, core, rules);
  if (!announced) ctx.progress('componentize', `jco embed (${embedding.stringEncoding}) + jco new`);
  // A loader is called only now: a module the check refuses never pays jco's import (~1 s).
  const api = typeof jco === 'function' ? await jco() : jco;
  return makeComponent(ctx.project.dir, api, core, { witPath: ctx.witPath, world: ctx.world, ...embedding });
}
