/**
 * The bounds of an agent's files at `/data` (decision 2191): node-wide, checked by the sandbox's
 * WASI file system before the work they bound (a path before it is resolved, a write before it is
 * buffered). Files are durable state, so their bytes (as stored: base64 text, 4/3 of the file) and
 * entries also count against the agent's state quotas (`DEFAULT_STATE_LIMITS`), which keep one
 * handling's commit under STATE_COMMIT_MAX_BYTES.
 */
export const AGENT_FILE_LIMITS = Object.freeze({
  /** Largest one file may grow (its bytes; stored as base64 it takes 4/3 of that of the state). */
  maxFileBytes: 1024 * 1024,
  /** Files and directories the agent may hold together. */
  maxEntries: 1_000,
  /** A path below `/data` (UTF-8 bytes, after `.` and `..` are resolved). */
  maxPathBytes: 512,
  /** One name in a path (UTF-8 bytes): POSIX's NAME_MAX. */
  maxNameBytes: 255,
  /** Directory levels below `/data`. */
  maxDepth: 16,
  /** Descriptors and streams one instance may hold open at once. */
  maxOpen: 64,
});

export type AgentFileLimits = { -readonly [K in keyof typeof AGENT_FILE_LIMITS]: number };

/**
 * The bounds of an agent's read-only assets at `/assets` (decision 2192): files shipped inside its
 * component (`deploy --assets <dir>`), checked when the CLI packs them and again when a node
 * prepares the component, before anything of them is kept. Paths follow /data's rules
 * (AGENT_FILE_LIMITS' path, name and depth bounds).
 */
export const AGENT_ASSET_LIMITS = Object.freeze({
  /** Files one component may ship. */
  maxFiles: 1_000,
  /** Their bytes together: kept in memory by every node that prepares the component. */
  maxTotalBytes: 8 * 1024 * 1024,
  /** One file's bytes. */
  maxFileBytes: 4 * 1024 * 1024,
});
