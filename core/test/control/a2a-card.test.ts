/**
 * An operator's A2A Agent Card (decision 1951) is parsed strictly at the boundary: the fields a
 * deployment may set are typed and bounded; what the node owns (bindings, security, capabilities,
 * signatures) and anything unknown are refused with the field named and a hint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { A2A_CARD_LIMITS, type CaxtonError, InvalidArgumentError, checkA2aCard, parseA2aCard } from '../../src/index.js';

const GOOD = {
  name: 'Weather',
  description: 'Forecasts for a city.',
  version: '2.1',
  provider: { organization: 'Example', url: 'https://example.com' },
  documentationUrl: 'https://example.com/docs',
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain', 'application/json'],
  skills: [{ id: 'forecast', name: 'Forecast', description: 'The forecast for a city', tags: ['weather'], examples: ['Paris tomorrow'] }],
};

function refusal(card: unknown, field: RegExp): CaxtonError {
  const text = typeof card === 'string' ? card : JSON.stringify(card);
  let caught: unknown;
  try {
    parseA2aCard(text, 'card');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InvalidArgumentError, `refused with a typed error: ${String(caught)}`);
  assert.match(caught.field, field);
  assert.equal(caught.kind, 'invalid-argument');
  assert.ok(caught.hint, 'every refusal says what to do');
  return caught;
}

describe('A2A card of a deployment: parsed strictly, bounded, the node keeps its own fields', () => {
  it('accepts a card with the descriptive fields, filling the skill lists it left out', () => {
    const card = parseA2aCard(JSON.stringify(GOOD));
    assert.equal(card.name, 'Weather');
    assert.deepEqual(card.provider, { organization: 'Example', url: 'https://example.com' });
    assert.deepEqual(card.skills, [
      {
        id: 'forecast',
        name: 'Forecast',
        description: 'The forecast for a city',
        tags: ['weather'],
        examples: ['Paris tomorrow'],
        inputModes: [],
        outputModes: [],
      },
    ]);
    assert.deepEqual(checkA2aCard(card), card, 'a stored card reads back as itself');
  });

  it('refuses the fields the node owns, each with why', () => {
    for (const key of ['supportedInterfaces', 'url', 'securitySchemes', 'securityRequirements', 'security', 'capabilities', 'signatures']) {
      const err = refusal({ ...GOOD, [key]: [] }, new RegExp(`^card\\.${key}$`));
      assert.match(err.message, /set by the node/);
    }
  });

  it('refuses unknown fields, missing or empty required ones, wrong types and bad URLs', () => {
    refusal({ ...GOOD, extra: 1 }, /^card\.extra$/);
    refusal({ ...GOOD, name: undefined }, /^card\.name$/);
    refusal({ ...GOOD, description: '  ' }, /^card\.description$/);
    refusal({ ...GOOD, skills: [] }, /^card\.skills$/);
    refusal({ ...GOOD, skills: [{ ...GOOD.skills[0], securityRequirements: [] }] }, /^card\.skills\[0\]\.securityRequirements$/);
    refusal({ ...GOOD, skills: [GOOD.skills[0], GOOD.skills[0]] }, /^card\.skills\[1\]\.id$/);
    refusal({ ...GOOD, skills: [{ ...GOOD.skills[0], tags: [3] }] }, /^card\.skills\[0\]\.tags\[0\]$/);
    refusal({ ...GOOD, iconUrl: 'javascript:alert(1)' }, /^card\.iconUrl$/);
    refusal({ ...GOOD, provider: { organization: 'x', url: 'ftp://x' } }, /^card\.provider\.url$/);
    refusal({ ...GOOD, name: 'bell\u0007' }, /^card\.name$/);
    refusal('[1]', /^card$/);
    refusal('{"name":', /^card$/);
  });

  it('bounds the card: its bytes before it is parsed, then each list and text', () => {
    const big = refusal(`{"name":"${'x'.repeat(A2A_CARD_LIMITS.maxCardBytes)}"}`, /^card$/);
    assert.match(big.message, /more than 16384/);
    // Multi-byte characters count as their UTF-8 bytes.
    refusal(JSON.stringify({ ...GOOD, description: 'é'.repeat(A2A_CARD_LIMITS.maxCardBytes / 2) }), /^card$/);
    refusal(
      { ...GOOD, skills: Array.from({ length: A2A_CARD_LIMITS.maxSkills + 1 }, (_, i) => ({ ...GOOD.skills[0], id: `s${i}` })) },
      /^card\.skills$/,
    );
    refusal(
      { ...GOOD, defaultInputModes: Array.from({ length: A2A_CARD_LIMITS.maxListEntries + 1 }, () => 'text/plain') },
      /^card\.defaultInputModes$/,
    );
    refusal({ ...GOOD, name: 'n'.repeat(A2A_CARD_LIMITS.maxShortText + 1) }, /^card\.name$/);
  });
});
