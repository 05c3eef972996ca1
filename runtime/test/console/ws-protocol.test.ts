/** The console's WebSocket frames (pure): what parses, and what each refusal says. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaxtonError } from '@caxton/core';
import { frameId, parseWsRequest } from '../../src/console/ws-protocol.js';

function refusal(text: string): CaxtonError {
  try {
    parseWsRequest(text);
  } catch (err) {
    assert.ok(err instanceof CaxtonError, String(err));
    return err;
  }
  assert.fail(`accepted ${text}`);
}

describe('console websocket frames', () => {
  it('parses a send, keeping the message as JSON for the ACL decoder and the idempotency key', () => {
    const r = parseWsRequest(
      JSON.stringify({ op: 'send', id: 's-1', message: { performative: 'inform', receiver: [{ name: 'a' }] }, idempotencyKey: 'k1' }),
    );
    assert.equal(r.op, 'send');
    if (r.op !== 'send') return;
    assert.equal(r.id, 's-1');
    assert.deepEqual(JSON.parse(r.messageJson), { performative: 'inform', receiver: [{ name: 'a' }] });
    assert.equal(r.idempotencyKey, 'k1');
  });

  it('parses a follow through the same filter rules as /api/stream, and an unfollow', () => {
    const f = parseWsRequest('{"op":"follow","id":"f1","filter":{"conversation":"c-9","performative":"agree,inform"}}');
    assert.deepEqual(f, { op: 'follow', id: 'f1', filter: { conversation: 'c-9', performative: 'agree,inform' } });
    assert.deepEqual(parseWsRequest('{"op":"follow","id":"all"}'), { op: 'follow', id: 'all', filter: {} });
    assert.deepEqual(parseWsRequest('{"op":"unfollow","id":"f1"}'), { op: 'unfollow', id: 'f1' });
  });

  it('refuses what is not a request with a typed bad-request and a hint', () => {
    const cases: [string, RegExp][] = [
      ['{"op":', /not JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"op":"shout","id":"x"}', /not one of send, follow, unfollow/],
      ['{"op":"send","id":"x"}', /needs a message object/],
      ['{"op":"send","id":"x","message":"inform"}', /needs a message object/],
      ['{"op":"send","id":"x","message":{},"extra":1}', /has no field "extra"/],
      ['{"op":"send","message":{}}', /id must be/],
      ['{"op":"send","id":"has space","message":{}}', /id must be/],
      [`{"op":"send","id":"${'x'.repeat(65)}","message":{}}`, /id must be/],
      ['{"op":"send","id":"x","message":{},"idempotencyKey":7}', /idempotencyKey must be a string/],
      ['{"op":"follow","id":"x","filter":{"colour":"red"}}', /filter has no field "colour"/],
      ['{"op":"follow","id":"x","filter":{"agent":5}}', /filter.agent must be a string/],
      ['{"op":"follow","id":"x","filter":{"performative":"shout"}}', /not a FIPA performative/],
      ['{"op":"follow","id":"x","filter":[]}', /filter must be an object/],
    ];
    for (const [text, why] of cases) {
      const err = refusal(text);
      assert.equal(err.kind, 'invalid-argument', text);
      assert.match(err.message, why, text);
      assert.ok(err.hint, `${text}: a hint`);
    }
    assert.equal(refusal(`{"op":"send","id":"x","message":{},"idempotencyKey":"${'k'.repeat(300)}"}`).kind, 'invalid-argument');
  });

  it('names the frame an error is about when it can', () => {
    assert.equal(frameId('{"op":"shout","id":"mine"}'), 'mine');
    assert.equal(frameId('{"op":'), undefined);
    assert.equal(frameId('{"id":"no spaces allowed"}'), undefined);
  });
});
