/**
 * A bench's command-line options: `--<name> <value>`. Every bench reads its options this way, so it
 * is written once here.
 */

/** The value after `--<name>`, or `fallback` when the flag is absent or has no value after it. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** The value of `--name value` or `--name=value` (as scripts/bench.mjs reads `--only=`); undefined when absent. */
export function argText(name: string): string | undefined {
  const flag = `--${name}`;
  const i = process.argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const a = process.argv[i]!;
  return a === flag ? (process.argv[i + 1] ?? '') : a.slice(flag.length + 1);
}

/** A numeric option; one that is not a number is refused (NaN would silently skip a warm-up or a phase). */
export function numberArg(name: string, fallback: number): number {
  const text = argText(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name}: "${text}" is not a number (e.g. --${name} ${fallback})`);
  return n;
}
