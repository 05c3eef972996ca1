/**
 * The interaction protocols the runtime polices, by their `:protocol` value (SC00026–SC00036).
 */
export const PROTOCOL_NAMES = [
  'fipa-request',
  'fipa-query',
  'fipa-request-when',
  'fipa-contract-net',
  'fipa-iterated-contract-net',
  'fipa-subscribe',
  'fipa-propose',
] as const;

export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

const byLowerCase: ReadonlyMap<string, ProtocolName> = new Map(PROTOCOL_NAMES.map((name) => [name, name]));

/**
 * The known protocol a `:protocol` value names, or undefined. Matching ignores case and surrounding
 * blanks because SC00070 words are case-insensitive and real platforms write `FIPA-Request`.
 */
export function toProtocolName(value: string): ProtocolName | undefined {
  return byLowerCase.get(value.trim().toLowerCase());
}
