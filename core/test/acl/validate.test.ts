import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaxtonError } from '../../src/errors.js';
import {
  aclLimits,
  AclValidationError,
  DEFAULT_ACL_LIMITS,
  MAX_FIPA_EPOCH_MS,
  messageUtf8Bytes,
  parseAclMessage,
  PERFORMATIVES,
  requireReceivers,
  validateAclMessage,
  type AclMessage,
  parsePriority,
  priorityOf,
  PRIORITIES,
  PRIORITY_PARAM,
} from '../../src/acl/index.js';
import { throwsInvalid } from './helpers.js';

const base = (): AclMessage => ({ performative: 'inform', sender: { name: 'a@p' }, receivers: [{ name: 'b@p' }] });
const withMsg = (patch: Record<string, unknown>): unknown => ({ ...base(), ...patch });

describe('validateAclMessage / parseAclMessage', () => {
  it('accepts a full message with every parameter and all 22 performatives', () => {
    const full: AclMessage = {
      performative: 'cfp',
      sender: { name: 'a@p', addresses: ['http://h:7778/acc'], resolvers: [{ name: 'r@p' }], userParams: { 'X-k': 'v' } },
      receivers: [{ name: 'b@p' }, { name: '31dcff23-3a66-42ac-8e69-3ac7aae07bc0' }],
      replyTo: [{ name: 'c@p' }],
      content: 'héllo "world" \\ ✓ 🎉',
      language: 'fipa-sl',
      encoding: 'utf-8',
      ontology: 'books',
      protocol: 'fipa-contract-net',
      conversationId: 'c1',
      replyWith: 'r1',
      inReplyTo: 'r0',
      replyBy: 1_700_000_000_000,
      userParams: { 'X-traceparent': '00-abc-def-01', 'x-lower': '' },
    };
    validateAclMessage(full);
    assert.deepEqual(parseAclMessage(full), full);
    for (const performative of PERFORMATIVES) validateAclMessage({ ...full, performative });
  });

  it('allows an empty receiver list; requireReceivers is the extra rule for sending', () => {
    const msg: AclMessage = { performative: 'inform', receivers: [] };
    validateAclMessage(msg);
    throwsInvalid(() => requireReceivers(msg), 'receivers.empty', 'receivers');
    requireReceivers(base());
  });

  it('performative: missing, unknown, wrong case', () => {
    throwsInvalid(() => parseAclMessage({ receivers: [] }), 'performative.missing', 'performative');
    throwsInvalid(() => parseAclMessage(withMsg({ performative: 'shout' })), 'performative.unknown', 'performative');
    const e = throwsInvalid(() => parseAclMessage(withMsg({ performative: 'INFORM' })), 'performative.unknown');
    assert.match(e.hint ?? '', /"inform"/);
    throwsInvalid(() => validateAclMessage({ ...base(), performative: 'nope' as never }), 'performative.unknown');
  });

  it('shape: wrong types and unknown fields', () => {
    throwsInvalid(() => parseAclMessage(null), 'wrong-type', 'message');
    throwsInvalid(() => parseAclMessage([]), 'wrong-type', 'message');
    throwsInvalid(() => parseAclMessage(withMsg({ content: 5 })), 'wrong-type', 'content');
    throwsInvalid(() => parseAclMessage(withMsg({ receivers: 'b@p' })), 'wrong-type', 'receivers');
    throwsInvalid(() => parseAclMessage(withMsg({ receivers: [{ name: 7 }] })), 'wrong-type', 'receivers[0].name');
    throwsInvalid(() => parseAclMessage(withMsg({ replyBy: '20231114T221320000Z' })), 'wrong-type', 'replyBy');
    throwsInvalid(() => parseAclMessage(withMsg({ reciever: [] })), 'unknown-field', 'reciever');
    throwsInvalid(() => parseAclMessage(withMsg({ sender: { name: 'a', adresses: [] } })), 'unknown-field', 'sender.adresses');
    throwsInvalid(() => parseAclMessage(withMsg({ userParams: { 'X-a': 1 } })), 'wrong-type', 'userParams.X-a');
    // undefined optional fields are simply absent
    assert.equal(parseAclMessage(withMsg({ content: undefined })).content, undefined);
  });

  it("returns a fresh copy, not the caller's objects", () => {
    const input = base();
    const out = parseAclMessage(input);
    input.receivers[0]!.name = 'changed later';
    assert.equal(out.receivers[0]!.name, 'b@p');
  });

  it('agent names: missing, empty, whitespace/control characters, too long', () => {
    throwsInvalid(() => parseAclMessage(withMsg({ receivers: [{}] })), 'agent-name.missing', 'receivers[0].name');
    throwsInvalid(() => validateAclMessage({ ...base(), receivers: [{} as never] }), 'agent-name.missing', 'receivers[0].name');
    throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: '' } }), 'agent-name.empty', 'sender.name');
    for (const bad of ['a b@p', 'a\tb', 'a\nb', 'a\u0000b', 'a\u0085b', 'a\u00a0b', 'a\u2028b']) {
      throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: bad } }), 'agent-name.invalid', 'sender.name');
    }
    const long = 'a'.repeat(DEFAULT_ACL_LIMITS.maxFieldBytes + 1);
    throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: long } }), 'agent-name.too-long', 'sender.name');
  });

  it('addresses and resolvers', () => {
    throwsInvalid(
      () => validateAclMessage({ ...base(), sender: { name: 'a', addresses: [''] } }),
      'address.invalid',
      'sender.addresses[0]',
    );
    throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: 'a', addresses: ['http://a b'] } }), 'address.invalid');
    const many = Array.from({ length: DEFAULT_ACL_LIMITS.maxAddresses + 1 }, (_, i) => `http://h${i}`);
    throwsInvalid(
      () => validateAclMessage({ ...base(), sender: { name: 'a', addresses: many } }),
      'addresses.too-many',
      'sender.addresses',
    );
    const resolvers = Array.from({ length: DEFAULT_ACL_LIMITS.maxAddresses + 1 }, (_, i) => ({ name: `r${i}` }));
    throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: 'a', resolvers } }), 'resolvers.too-many');

    let deep = { name: 'leaf' } as { name: string; resolvers?: unknown[] };
    for (let i = 0; i < DEFAULT_ACL_LIMITS.maxResolverDepth; i++) deep = { name: `r${i}`, resolvers: [deep] };
    validateAclMessage({ ...base(), sender: deep as never }); // exactly at the limit
    const tooDeep = { name: 'top', resolvers: [deep] };
    throwsInvalid(() => validateAclMessage({ ...base(), sender: tooDeep as never }), 'resolvers.too-deep');
    throwsInvalid(() => parseAclMessage(withMsg({ sender: tooDeep })), 'resolvers.too-deep');
  });

  it('copying a hostile, very deeply nested value fails cleanly instead of overflowing the stack', () => {
    let deep: unknown = { name: 'leaf' };
    for (let i = 0; i < 100_000; i++) deep = { name: 'x', resolvers: [deep] };
    throwsInvalid(() => parseAclMessage(withMsg({ sender: deep })), 'resolvers.too-deep');
  });

  it('receivers and reply-to counts', () => {
    const limits = aclLimits({ maxReceivers: 2 });
    const three = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    throwsInvalid(() => validateAclMessage({ ...base(), receivers: three }, limits), 'receivers.too-many', 'receivers');
    throwsInvalid(() => validateAclMessage({ ...base(), replyTo: three }, limits), 'reply-to.too-many', 'replyTo');
    throwsInvalid(() => parseAclMessage(withMsg({ receivers: three }), limits), 'receivers.too-many');
    validateAclMessage({ ...base(), receivers: three.slice(0, 2) }, limits);
  });

  it('content size counts UTF-8 bytes', () => {
    const max = DEFAULT_ACL_LIMITS.maxContentBytes;
    validateAclMessage({ ...base(), content: 'a'.repeat(max) });
    throwsInvalid(() => validateAclMessage({ ...base(), content: 'a'.repeat(max + 1) }), 'content.too-large', 'content');
    validateAclMessage({ ...base(), content: 'é'.repeat(max / 2) });
    throwsInvalid(() => validateAclMessage({ ...base(), content: 'é'.repeat(max / 2 + 1) }), 'content.too-large');
    throwsInvalid(() => validateAclMessage({ ...base(), content: '🎉'.repeat(max / 4 + 1) }), 'content.too-large');
  });

  it('other fields are bounded by maxFieldBytes', () => {
    const long = 'x'.repeat(DEFAULT_ACL_LIMITS.maxFieldBytes + 1);
    for (const field of ['language', 'encoding', 'ontology', 'conversationId', 'replyWith', 'inReplyTo'] as const) {
      throwsInvalid(() => validateAclMessage({ ...base(), [field]: long }), 'field.too-long', field);
    }
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { 'X-a': long } }), 'field.too-long', 'userParams.X-a');
  });

  it('protocol must be a FIPA word', () => {
    for (const bad of ['fipa request', '1proto', '-x', '#x', '@x', '"x', '(x)', '', 'a\u00a0b', 'prötocol', ':p']) {
      throwsInvalid(() => validateAclMessage({ ...base(), protocol: bad }), 'protocol.not-a-word', 'protocol');
    }
    validateAclMessage({ ...base(), protocol: 'fipa-request' });
  });

  it('reply-by must be whole epoch milliseconds between 1970 and 9999', () => {
    for (const bad of [-1, 1.5, MAX_FIPA_EPOCH_MS + 1, Number.NaN, Infinity]) {
      throwsInvalid(() => validateAclMessage({ ...base(), replyBy: bad }), 'reply-by.out-of-range', 'replyBy');
    }
    validateAclMessage({ ...base(), replyBy: 0 });
    validateAclMessage({ ...base(), replyBy: MAX_FIPA_EPOCH_MS });
  });

  it('user parameters: X- prefix, valid names, no case-insensitive duplicates, bounded count', () => {
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { foo: 'v' } }), 'user-param.key-prefix', 'userParams.foo');
    throwsInvalid(() => parseAclMessage(withMsg({ userParams: { foo: 'v' } })), 'user-param.key-prefix');
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { 'X-': 'v' } }), 'user-param.key-invalid');
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { 'X-a b': 'v' } }), 'user-param.key-invalid');
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { 'X-a(': 'v' } }), 'user-param.key-invalid');
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: { 'X-a': '1', 'x-A': '2' } }), 'user-param.duplicate');
    throwsInvalid(
      () => validateAclMessage({ ...base(), sender: { name: 'a', userParams: { bad: 'v' } } }),
      'user-param.key-prefix',
      'sender.userParams.bad',
    );
    const many = Object.fromEntries(Array.from({ length: DEFAULT_ACL_LIMITS.maxUserParams + 1 }, (_, i) => [`X-p${i}`, 'v']));
    throwsInvalid(() => validateAclMessage({ ...base(), userParams: many }), 'user-params.too-many', 'userParams');
    throwsInvalid(() => parseAclMessage(withMsg({ userParams: many })), 'user-params.too-many');
    // An own "__proto__" key (as JSON.parse makes) is rejected, not swallowed by the prototype setter.
    throwsInvalid(() => parseAclMessage(withMsg({ userParams: JSON.parse('{"__proto__":"x"}') })), 'user-param.key-prefix');
  });

  it('strings must be well-formed Unicode', () => {
    throwsInvalid(() => validateAclMessage({ ...base(), content: 'a\ud800b' }), 'string.ill-formed', 'content');
    throwsInvalid(() => validateAclMessage({ ...base(), sender: { name: '\udc00' } }), 'string.ill-formed', 'sender.name');
    validateAclMessage({ ...base(), content: '\ud83c\udf89' });
  });

  it('the whole message is bounded by maxMessageBytes', () => {
    const limits = aclLimits({ maxMessageBytes: 1000, maxContentBytes: 1000 });
    const msg: AclMessage = { ...base(), content: 'é'.repeat(450), conversationId: 'c'.repeat(100) };
    assert.equal(messageUtf8Bytes(msg), 3 + 3 + 900 + 100);
    throwsInvalid(() => validateAclMessage(msg, limits), 'message.too-large', 'message');
    validateAclMessage({ ...msg, conversationId: 'c'.repeat(90) }, limits);
  });

  it('errors carry code, field, rule and hint, and describe themselves in one line', () => {
    const e = throwsInvalid(() => validateAclMessage({ ...base(), protocol: 'a b' }), 'protocol.not-a-word');
    assert.ok(e instanceof CaxtonError);
    assert.deepEqual(e.context, { field: 'protocol', rule: 'protocol.not-a-word' });
    assert.match(e.describe(), /^invalid ACL message: protocol: .* \[field=protocol rule=protocol\.not-a-word\] — /);
    assert.equal(e.toJSON().code, 'acl.invalid');
    assert.equal(e.name, 'AclValidationError');
    assert.ok(e instanceof AclValidationError);
  });

  it('aclLimits fills defaults and rejects nonsense', () => {
    assert.equal(aclLimits({ maxReceivers: 5 }).maxContentBytes, DEFAULT_ACL_LIMITS.maxContentBytes);
    assert.ok(Object.isFrozen(aclLimits()));
    for (const bad of [
      { maxReceivers: 0 },
      { maxContentBytes: -1 },
      { maxFieldBytes: 1.5 },
      { maxAddresses: Number.NaN },
      { maxContentBytes: 2_000_000, maxMessageBytes: 1_000_000 },
    ]) {
      assert.throws(
        () => aclLimits(bad),
        (e: unknown) => e instanceof CaxtonError && e.code === 'acl.bad-limits',
        JSON.stringify(bad),
      );
    }
    assert.equal(aclLimits({ maxResolverDepth: 0 }).maxResolverDepth, 0);
  });
});

describe('priority parameter (decision 1920)', () => {
  const base = { performative: 'inform' as const, receivers: [{ name: 'b' }] };
  it('accepts high, normal, low, and its absence', () => {
    for (const p of PRIORITIES) validateAclMessage({ ...base, userParams: { [PRIORITY_PARAM]: p } });
    validateAclMessage(base);
    assert.equal(priorityOf({ ...base, userParams: { [PRIORITY_PARAM]: 'high' } }), 'high');
    assert.equal(priorityOf(base), 'normal');
  });
  it('refuses any other value with a typed error naming the field', () => {
    for (const bad of ['urgent', 'HIGH', '', ' high', '1']) {
      assert.throws(
        () => validateAclMessage({ ...base, userParams: { [PRIORITY_PARAM]: bad } }),
        (e: unknown) =>
          e instanceof AclValidationError &&
          e.rule === 'priority.invalid' &&
          e.field === `userParams.${PRIORITY_PARAM}` &&
          e.code === 'acl.invalid',
      );
    }
    assert.throws(
      () => parsePriority(7),
      (e: unknown) => e instanceof AclValidationError && e.rule === 'priority.invalid',
    );
  });
  it('refuses the parameter spelt in another letter case (it would be a priority nobody reads)', () => {
    assert.throws(
      () => validateAclMessage({ ...base, userParams: { 'x-caxton-priority': 'high' } }),
      (e: unknown) => e instanceof AclValidationError && e.rule === 'priority.spelling',
    );
  });
});
