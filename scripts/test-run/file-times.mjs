// Each test file's time as a whole run measured it (the sum of its top-level tests, from the
// summary reporter), kept in a small committed JSON file: `npm test` starts files longest first so
// that no long file starts last and runs alone while the other slots idle (decision 2166).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** What a file the record does not know is taken to cost (s): long, so a new heavy file starts early. */
const UNKNOWN_FILE_S = 60;

/** Reads `file` (`{ "<relative test file>": seconds }`); a missing or unreadable record orders by path. */
export function fileTimes(file) {
  let known = {};
  try {
    if (existsSync(file)) known = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    /* a damaged record: fall back to path order, never fail the run for it */
  }
  const secondsOf = (f) => (typeof known[f] === 'number' ? known[f] : UNKNOWN_FILE_S);
  return {
    /** `files` longest first; equal times keep path order (a stable sort of the sorted list). */
    longestFirst: (files) => [...files].sort((a, b) => secondsOf(b) - secondsOf(a)),
    /** Replaces the record with the times measured now (`{ file, ms }[]`); returns how many. */
    recordFileTimes(measured) {
      // One file per line, slowest first: a diff of the record reads as which files got slower.
      const lines = [...measured]
        .sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file))
        .map(({ file: f, ms }) => `${JSON.stringify(f)}:${Math.round(ms / 100) / 10}`);
      writeFileSync(file, `{\n${lines.join(',\n')}\n}\n`);
      return lines.length;
    },
  };
}
