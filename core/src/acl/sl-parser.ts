/**
 * Parser for the FIPA ACL string representation (SC00070), reading what JADE and other platforms
 * write. Grammar (keywords, `set`, `sequence`, `agent-identifier` and the performative are
 * case-insensitive; user parameter names keep the spelling they were written with):
 *
 *   Message    = "(" Performative Param* ")"
 *   Param      = ":sender" AgentId | ":receiver" AgentSet | ":reply-to" AgentSet
 *              | ":content" String | ":protocol" Word | ":reply-by" DateTime
 *              | (":language" | ":encoding" | ":ontology" | ":conversation-id" | ":reply-with"
 *                 | ":in-reply-to" | ":X-…") Expression
 *   AgentId    = "(" "agent-identifier" ":name" Word|String [":addresses" "(" "sequence" (Word|String)* ")"]
 *                [":resolvers" "(" "sequence" AgentId* ")"] (":X-…" Expression)* ")"
 *   AgentSet   = "(" "set" AgentId* ")"
 *   Expression = Word | String | Number | DateTime | "(" Expression* ")"
 *
 * Values are strings in the model: a Word/Number/DateTime keeps its text (`+.99E-23` stays
 * `+.99E-23`), a String its decoded value, a parenthesised Expression its exact source text.
 * Deliberate departures from the letter of SC00070, accepted in strict mode too (JADE does the
 * same, and nothing becomes ambiguous): agent names and addresses may be quoted strings (how we
 * write names such as UUIDs that are not Words), and agent-identifier slots may come in any order.
 * Duplicate parameters are always rejected: platforms disagree on which copy wins.
 *
 * Lenient mode additionally reads what JADE reads but the spec forbids: Words starting with `@`,
 * an unquoted Word as `:content`, a quoted string as `:protocol`. See docs/acl.md.
 */
import { looksLikeFipaDateTime, tryParseFipaDateTime, type FipaDateTimeOptions } from './datetime.js';
import { AclValidationError } from './errors.js';
import { excerpt } from './excerpt.js';
import { hasUserParamPrefix, isFipaWord, isUserParamKey } from './lexical.js';
import type { AclLimits } from './limits.js';
import { isPerformative, type AclMessage, type AgentId } from './message.js';
import { isFipaNumber, SlLexer, Tok } from './sl-lexer.js';

export interface SlParseOptions extends FipaDateTimeOptions {
  lenient: boolean;
  limits: AclLimits;
}

export function parseAclString(text: string, opts: SlParseOptions): AclMessage {
  return new SlParser(text, opts).message();
}

class SlParser {
  private readonly lex: SlLexer;

  constructor(
    text: string,
    private readonly opts: SlParseOptions,
  ) {
    this.lex = new SlLexer(text);
  }

  message(): AclMessage {
    const lex = this.lex;
    lex.next();
    if (lex.tok() !== Tok.LParen) throw lex.error('message.expected-open', "a message starts with '('");
    lex.next();
    if (lex.tok() !== Tok.Atom) throw lex.error('performative.missing', 'expected the performative after "("');
    const performative = lex.value.toLowerCase();
    if (!isPerformative(performative)) {
      throw lex.error(
        'performative.unknown',
        `"${excerpt(lex.value)}" is not a FIPA communicative act`,
        lex.start,
        'use one of the 22 acts of SC00037 and separate it from the parameters with a space',
      );
    }
    const msg: AclMessage = { performative, receivers: [] };
    const seen = new Set<string>();
    let userParamCount = 0;
    lex.next();
    while (lex.tok() !== Tok.RParen) {
      if (lex.tok() !== Tok.Atom || lex.value.charCodeAt(0) !== 0x3a /* : */) {
        throw lex.error(
          lex.tok() === Tok.End ? 'message.unterminated' : 'param.expected-keyword',
          lex.tok() === Tok.End ? "message is missing its closing ')'" : 'expected a :parameter',
        );
      }
      const keyword = lex.value;
      const lower = keyword.toLowerCase();
      const at = lex.start;
      if (seen.has(lower)) throw lex.error('param.duplicate', `parameter ${keyword} appears twice`, at);
      seen.add(lower);
      lex.next();
      switch (lower) {
        case ':sender':
          msg.sender = this.agentId('sender', 0);
          break;
        case ':receiver':
          msg.receivers = this.agentSet('receivers', 'receivers.too-many');
          break;
        case ':reply-to':
          msg.replyTo = this.agentSet('replyTo', 'reply-to.too-many');
          break;
        case ':content':
          msg.content = this.content();
          break;
        case ':language':
          msg.language = this.expression();
          break;
        case ':encoding':
          msg.encoding = this.expression();
          break;
        case ':ontology':
          msg.ontology = this.expression();
          break;
        case ':protocol':
          msg.protocol = this.protocol();
          break;
        case ':conversation-id':
          msg.conversationId = this.expression();
          break;
        case ':reply-with':
          msg.replyWith = this.expression();
          break;
        case ':in-reply-to':
          msg.inReplyTo = this.expression();
          break;
        case ':reply-by':
          msg.replyBy = this.replyBy();
          break;
        default: {
          const key = this.userParamKey(keyword, at, 'param.unknown');
          if (++userParamCount > this.opts.limits.maxUserParams) throw tooMany('userParams', this.opts.limits.maxUserParams);
          (msg.userParams ??= {})[key] = this.expression();
        }
      }
    }
    lex.next();
    if (lex.tok() !== Tok.End) throw lex.error('message.trailing-data', "unexpected text after the message's closing ')'");
    return msg;
  }

  private userParamKey(keyword: string, at: number, rule: string): string {
    const key = keyword.slice(1);
    if (isUserParamKey(key)) return key;
    throw this.lex.error(
      rule,
      `unknown parameter ${keyword}`,
      at,
      hasUserParamPrefix(key) ? 'a user-defined parameter needs a name after X-' : 'user-defined parameters start with :X-',
    );
  }

  private agentSet(field: string, rule: string): AgentId[] {
    const lex = this.lex;
    this.expectOpenWith('set', 'agent-set.expected-set', 'write (set (agent-identifier :name …) …)');
    const out: AgentId[] = [];
    while (lex.tok() === Tok.LParen) {
      if (out.length === this.opts.limits.maxReceivers) throw tooMany(field, this.opts.limits.maxReceivers, rule);
      out.push(this.agentId(`${field}[${out.length}]`, 0));
    }
    this.expectClose('agent-set.unterminated', 'expected an agent-identifier or the closing ) of the set');
    return out;
  }

  private agentId(field: string, depth: number): AgentId {
    const lex = this.lex;
    const at = lex.start;
    this.expectOpenWith('agent-identifier', 'agent-id.expected', 'agent identifiers are written (agent-identifier :name local@platform …)');
    const aid: AgentId = { name: '' };
    const seen = new Set<string>();
    const limits = this.opts.limits;
    let userParamCount = 0;
    while (lex.tok() !== Tok.RParen) {
      if (lex.tok() !== Tok.Atom || lex.value.charCodeAt(0) !== 0x3a) {
        throw lex.error(
          lex.tok() === Tok.End ? 'agent-id.unterminated' : 'agent-id.expected-slot',
          'expected :name, :addresses, :resolvers or :X-… in an agent identifier',
        );
      }
      const keyword = lex.value;
      const lower = keyword.toLowerCase();
      const slotAt = lex.start;
      if (seen.has(lower)) throw lex.error('agent-id.duplicate-slot', `${keyword} appears twice in one agent identifier`, slotAt);
      seen.add(lower);
      lex.next();
      if (lower === ':name') {
        aid.name = this.wordOrString('agent-name.invalid', 'an agent name is a word or a quoted string');
      } else if (lower === ':addresses') {
        this.expectOpenWith('sequence', 'agent-id.expected-sequence', 'write :addresses (sequence url …)');
        const addresses: string[] = [];
        while (lex.tok() === Tok.Atom || lex.tok() === Tok.Str) {
          if (addresses.length === limits.maxAddresses) throw tooMany(`${field}.addresses`, limits.maxAddresses, 'addresses.too-many');
          addresses.push(this.wordOrString('address.invalid', 'an address is a URL word or a quoted string'));
        }
        this.expectClose('agent-id.unterminated', 'expected an address or the closing ) of the sequence');
        aid.addresses = addresses;
      } else if (lower === ':resolvers') {
        this.expectOpenWith('sequence', 'agent-id.expected-sequence', 'write :resolvers (sequence (agent-identifier …) …)');
        const resolvers: AgentId[] = [];
        while (lex.tok() === Tok.LParen) {
          // Bounded before recursing: nesting cannot exhaust the stack.
          if (depth >= limits.maxResolverDepth) {
            throw new AclValidationError(
              `${field}.resolvers`,
              'resolvers.too-deep',
              `resolvers nest deeper than ${limits.maxResolverDepth} levels`,
            );
          }
          if (resolvers.length === limits.maxAddresses) throw tooMany(`${field}.resolvers`, limits.maxAddresses, 'resolvers.too-many');
          resolvers.push(this.agentId(`${field}.resolvers[${resolvers.length}]`, depth + 1));
        }
        this.expectClose('agent-id.unterminated', 'expected an agent-identifier or the closing ) of the sequence');
        aid.resolvers = resolvers;
      } else {
        const key = this.userParamKey(keyword, slotAt, 'agent-id.unknown-slot');
        if (++userParamCount > limits.maxUserParams) throw tooMany(`${field}.userParams`, limits.maxUserParams);
        (aid.userParams ??= {})[key] = this.expression();
      }
    }
    if (!seen.has(':name')) throw lex.error('agent-name.missing', 'agent identifier without :name', at);
    lex.next();
    return aid;
  }

  /** Content must be a String (SC00070); lenient mode also takes a bare Word, as JADE does. */
  private content(): string {
    const lex = this.lex;
    if (lex.tok() === Tok.Str || (this.opts.lenient && lex.tok() === Tok.Atom && isFipaWord(lex.value, true))) {
      const value = lex.value;
      lex.next();
      return value;
    }
    throw lex.error(
      'content.not-a-string',
      'content must be a quoted string',
      lex.start,
      'quote the content: :content "…", writing a quote inside it as \\"',
    );
  }

  private protocol(): string {
    const lex = this.lex;
    if ((lex.tok() === Tok.Atom && isFipaWord(lex.value, this.opts.lenient)) || (this.opts.lenient && lex.tok() === Tok.Str)) {
      const value = lex.value;
      lex.next();
      return value;
    }
    throw lex.error('protocol.not-a-word', 'protocol must be a single word', lex.start, 'e.g. :protocol fipa-request');
  }

  private replyBy(): number {
    const lex = this.lex;
    if (lex.tok() !== Tok.Atom) throw lex.error('reply-by.invalid', 'reply-by must be a DateTime such as 20231114T221320000Z');
    const r = tryParseFipaDateTime(lex.value, this.opts);
    if (!r.ok) throw lex.error('reply-by.invalid', r.problem, lex.start, 'write YYYYMMDDTHHMMSSmmmZ (UTC)');
    lex.next();
    return r.epochMs;
  }

  private wordOrString(rule: string, message: string): string {
    const lex = this.lex;
    if (lex.tok() === Tok.Str || (lex.tok() === Tok.Atom && isFipaWord(lex.value, this.opts.lenient))) {
      const value = lex.value;
      lex.next();
      return value;
    }
    throw lex.error(rule, message, lex.start, 'quote values that start with a digit, "-", "#" or "@"');
  }

  /** Word, String, Number, DateTime, or a parenthesised expression kept as its source text. */
  private expression(): string {
    const lex = this.lex;
    if (lex.tok() === Tok.Str || lex.tok() === Tok.Atom) {
      if (lex.tok() === Tok.Atom) this.checkAtom();
      const value = lex.value;
      lex.next();
      return value;
    }
    if (lex.tok() !== Tok.LParen) throw lex.error('param.missing-value', 'expected a value');
    // Iterative on purpose: nesting depth is attacker-controlled.
    const start = lex.start;
    let depth = 0;
    for (;;) {
      if (lex.tok() === Tok.LParen) depth++;
      else if (lex.tok() === Tok.RParen) depth--;
      else if (lex.tok() === Tok.Atom) this.checkAtom();
      else if (lex.tok() === Tok.End) throw lex.error('expression.unterminated', "expression is missing a closing ')'", start);
      if (depth === 0) break;
      lex.next();
    }
    const value = lex.text.slice(start, lex.end);
    lex.next();
    return value;
  }

  private checkAtom(): void {
    const v = this.lex.value;
    if (isFipaWord(v, this.opts.lenient) || isFipaNumber(v) || looksLikeFipaDateTime(v)) return;
    throw this.lex.error(
      'expression.bad-token',
      `"${excerpt(v)}" is not a word, number or date`,
      this.lex.start,
      'quote values that start with a digit, "-", "#" or "@"',
    );
  }

  private expectOpenWith(word: string, rule: string, hint: string): void {
    const lex = this.lex;
    if (lex.tok() !== Tok.LParen) throw lex.error(rule, `expected (${word} …)`, lex.start, hint);
    lex.next();
    if (lex.tok() !== Tok.Atom || lex.value.toLowerCase() !== word) throw lex.error(rule, `expected "${word}"`, lex.start, hint);
    lex.next();
  }

  private expectClose(rule: string, message: string): void {
    const lex = this.lex;
    if (lex.tok() !== Tok.RParen) throw lex.error(rule, message);
    lex.next();
  }
}

function tooMany(field: string, max: number, rule = 'user-params.too-many'): AclValidationError {
  return new AclValidationError(field, rule, `has more than ${max} entries`, 'send fewer entries or raise the limit');
}
