/** Locating the agent world (wit/agent.wit) the components are built against. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from './errors.js';
import { toolchainPackageDir } from './toolchain.js';

export const AGENT_WORLD = 'agent';

/** wit/agent.wit of this Caxton checkout: the nearest `wit/agent.wit` above the runtime package. */
export function defaultWitPath(): string {
  let dir = toolchainPackageDir();
  for (;;) {
    const candidate = path.join(dir, 'wit', 'agent.wit');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new BuildError('build.wit-missing', 'cannot find wit/agent.wit above the Caxton runtime package', {
        context: { runtimeDir: toolchainPackageDir() },
        hint: 'pass opts.witPath pointing at the agent world (wit/agent.wit in the Caxton repository)',
      });
    }
    dir = parent;
  }
}
