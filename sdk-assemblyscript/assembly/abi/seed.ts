// Replacement for AssemblyScript's `seed` (wired in with `--use seed=...`), which would otherwise
// import `env.seed`. Math.random is seeded lazily, on first use, from the host clock: good enough
// for jitter and sampling, NOT for anything security-relevant.
import { now } from "./wit/host";

export function caxtonSeed(): f64 {
  return <f64>now();
}
