/**
 * A short excerpt of untrusted text for error messages: inputs come from agents and remote
 * platforms and can be megabytes long, so an error quotes at most `max` code units of them
 * (plus how much was left out), never the whole value. Pure.
 */
export const EXCERPT_LENGTH = 64;

export function excerpt(text: string, max: number = EXCERPT_LENGTH): string {
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in half.
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more)`;
}
