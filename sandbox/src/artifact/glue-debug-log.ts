/**
 * jco's glue logs every step of every host call through `_debugLog`, which reads
 * `process.env.JCO_DEBUG` each time (an environment lookup, several per host call). On the shard
 * that was a third of a stdout write's cost (decision 2114: 500 writes of a stdout flood, ≈ 36 →
 * 30 ms of CPU per call, the profile halved), paid by every jco-path agent on every host call, and
 * with JCO_DEBUG set it would print guest-supplied data on the node's console. The sandbox never
 * wants that log: the definition is replaced by a no-op when the glue is prepared. A glue without
 * that exact definition (another jco version) is left as it is.
 */
const DEBUG_LOG = `  const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`;

/** Part of the artifact cache key: glue cached before this patch is prepared again. */
export const GLUE_PATCH_VERSION = 'no-debug-log-1';

/** The glue with jco's per-call debug log made a no-op (unchanged if its definition is not found). */
export function withoutDebugLog(glue: string): string {
  const at = glue.indexOf(DEBUG_LOG);
  if (at < 0) return glue;
  return `${glue.slice(0, at)}  const _debugLog = () => {};${glue.slice(at + DEBUG_LOG.length)}`;
}
