// Which phase a test file runs in, and in what order, from tags in its header comment (the first
// 4 KiB): the tag sits in the file it concerns, with its reason, rather than in a list here.
//  - `@test-runs-alone`: needs the machine's cores to itself (decision 1740);
//  - `@test-slow`: a minute or more (servers, soaks, toolchains); starts before the others of its
//    phase so that the phase does not end on one long file while the other slot has nothing left
//    to do (decision 2124). No table of timings, which would go stale.
export const RUNS_ALONE = '@test-runs-alone';
export const SLOW = '@test-slow';

/** Whether the file's header (its text, or the first 4 KiB of it) carries `tag`. */
export function headerSays(text, tag) {
  return text.slice(0, 4096).includes(tag);
}

/** `files` with the slow ones first; each group keeps the order it was given in. */
export function slowFirst(files, isSlow) {
  return [...files.filter((f) => isSlow(f)), ...files.filter((f) => !isSlow(f))];
}
