/**
 * fast-check generators of valid ACL messages, biased towards what breaks codecs: quotes,
 * backslashes (especially trailing ones), parentheses, `#`, `:`, digits in first position,
 * non-ASCII and astral characters, empty strings, every performative, nested agent ids.
 */
import fc from 'fast-check';
import { MAX_FIPA_EPOCH_MS, PERFORMATIVES, type AclMessage, type AgentId } from '../../src/acl/index.js';
import { hasSpaceOrControl, isProtocolWord } from '../../src/acl/lexical.js';

const tricky = fc.constantFrom(
  '"',
  '\\',
  '(',
  ')',
  '#',
  ':',
  '@',
  '-',
  '0',
  '9',
  '+',
  '.',
  'e',
  "'",
  'é',
  '€',
  '🎉',
  'a',
  'Z',
  '/',
  'x',
  'X',
);

/** Any text: full Unicode (no lone surrogates), whitespace and control characters included. */
export const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(tricky, fc.constantFrom(' ', '\n', '\t', '\r', '\u0000')), maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

const tokenChar = fc.oneof(
  { weight: 3, arbitrary: tricky },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }) },
);

/** Non-empty, no whitespace or control characters: what agent names and addresses may hold. */
export const nameText = fc.string({ unit: tokenChar, minLength: 1, maxLength: 16 }).filter((s) => !hasSpaceOrControl(s));

export const protocolText = fc.string({ unit: tokenChar, minLength: 1, maxLength: 16 }).filter(isProtocolWord);

const keyText = fc
  .tuple(fc.constantFrom('X-', 'x-'), fc.string({ unit: tokenChar, minLength: 1, maxLength: 10 }))
  .map(([prefix, rest]) => prefix + rest)
  .filter((k) => !hasSpaceOrControl(k) && !k.includes('(') && !k.includes(')'));

// Never empty: both wire formats write user parameters as X- keys, so `{}` reads back as absent
// (documented in docs/acl.md); the record is simply left out instead.
export const userParams = fc
  .uniqueArray(fc.tuple(keyText, anyText), { minLength: 1, maxLength: 4, selector: ([k]) => k.toLowerCase() })
  .map((entries) => Object.fromEntries(entries) as Record<string, string>);

export const agentId: fc.Arbitrary<AgentId> = fc
  .letrec<{ aid: AgentId }>((tie) => ({
    aid: fc.record(
      {
        name: nameText,
        addresses: fc.array(nameText, { maxLength: 3 }),
        resolvers: fc.array(tie('aid'), { maxLength: 2, depthIdentifier: 'resolvers' }),
        userParams,
      },
      { requiredKeys: ['name'], noNullPrototype: true },
    ),
  }))
  .aid.filter((a) => depth(a) <= 3);

function depth(a: AgentId): number {
  return a.resolvers === undefined || a.resolvers.length === 0 ? 0 : 1 + Math.max(...a.resolvers.map(depth));
}

export const aclMessage: fc.Arbitrary<AclMessage> = fc.record(
  {
    performative: fc.constantFrom(...PERFORMATIVES),
    sender: agentId,
    receivers: fc.array(agentId, { maxLength: 3 }),
    replyTo: fc.array(agentId, { maxLength: 2 }),
    content: anyText,
    language: anyText,
    encoding: anyText,
    ontology: anyText,
    protocol: protocolText,
    conversationId: anyText,
    replyWith: anyText,
    inReplyTo: anyText,
    replyBy: fc.integer({ min: 0, max: MAX_FIPA_EPOCH_MS }),
    userParams,
  },
  { requiredKeys: ['performative', 'receivers'], noNullPrototype: true },
);
