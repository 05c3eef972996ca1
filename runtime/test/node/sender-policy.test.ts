/** Whom an operator may send as (decision 1401): never a platform identity, never a deployed agent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { senderRefusal } from '../../src/node/sender-policy.js';
import { RESERVED_AGENT_NAMES } from '../../src/node/lifecycle/index.js';

const deployed = new Set(['echo', 'billing']);
const refusal = (sender: string, local = sender.endsWith('@caxton') ? sender.slice(0, -7) : sender): string | undefined =>
  senderRefusal(sender, local, RESERVED_AGENT_NAMES, (n) => deployed.has(n));

describe('operator sender names', () => {
  it("refuses the platform's identities, on this platform and any other, in any case", () => {
    for (const s of ['ams@caxton', 'df@caxton', 'http@caxton', 'ams', 'AMS@caxton', 'ams@other-platform', 'df@x.example']) {
      assert.equal(refusal(s), 'it is a platform identity', s);
    }
  });

  it("refuses a deployed agent's name, bare or qualified with this platform", () => {
    assert.equal(refusal('echo'), 'it is a deployed agent');
    assert.equal(refusal('echo@caxton'), 'it is a deployed agent');
  });

  it("allows identities of the operator's own, and an agent name of another platform", () => {
    for (const s of ['operator@caxton', 'ops-alice', 'ci-bot@caxton', 'echo@elsewhere']) assert.equal(refusal(s), undefined, s);
  });
});
