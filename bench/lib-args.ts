/**
 * A bench's command-line options: `--<name> <value>`. Every bench reads its options this way, so it
 * is written once here.
 */

/** The value after `--<name>`, or `fallback` when the flag is absent or has no value after it. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
