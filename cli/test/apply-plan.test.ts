/**
 * The plan of an apply (decision 2169), pure: what is new is deployed (and scaled), what differs
 * is upgraded — by the fields that differ — in place when scaled (a scale-down before, a scale-up
 * after; a rollout after a scale to one); a changed
 * count alone is a scale; what matches is unchanged; a kind declared for a named agent (or the
 * reverse), or a rollout in progress of another version, is refused, not guessed; --prune stops
 * what the file does not name; delete stops what it names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentLimitsSpec } from '@caxton/core';
import { formatStep, headerOf, planApply, planDelete, type CurrentAgent, type DesiredAgent } from '../src/apply/index.js';

const LIMITS = { fuelPerMessage: 1_000_000, memoryPages: 16 } as AgentLimitsSpec;

function want(name: string, over: Partial<DesiredAgent> = {}): DesiredAgent {
  return {
    name,
    source: `/a/${name}.wasm`,
    sourceText: `${name}.wasm`,
    config: {},
    replicas: 1,
    keepState: false,
    line: 1,
    index: 0,
    digest: `d-${name}`,
    ...over,
  };
}
function running(name: string, over: Partial<CurrentAgent> = {}): CurrentAgent {
  return { name, artifactDigest: `d-${name}`, config: {}, limits: LIMITS, state: 'running', ...over };
}
const plan = (desired: DesiredAgent[], current: CurrentAgent[], prune = false): string[] =>
  planApply(desired, current, { prune }).map(formatStep);

describe('apply plan', () => {
  it('deploys what is new (scaled after), leaves what matches, and is empty the second time', () => {
    assert.deepEqual(plan([want('a'), want('b', { replicas: 3 })], []), ['+ deploy a', '+ deploy b', '^ scale b 1 -> 3']);
    assert.deepEqual(plan([want('k', { kind: { idleMs: 1000 } })], []), ['+ deploy kind k']);
    assert.deepEqual(
      plan([want('a'), want('b', { replicas: 3 })], [running('a'), running('b', { replicas: { replicas: 3, draining: 0 } })]),
      ['= a unchanged', '= b unchanged'],
    );
  });

  it('upgrades by the fields that differ: component, config (whole), a named limit, topics', () => {
    assert.deepEqual(plan([want('a', { digest: 'new' })], [running('a')]), ['~ upgrade a (component)']);
    assert.deepEqual(plan([want('a', { config: { k: 'v' } })], [running('a')]), ['~ upgrade a (config)']);
    assert.deepEqual(plan([want('a')], [running('a', { config: { old: '1' } })]), ['~ upgrade a (config)'], 'a key left out is removed');
    assert.deepEqual(plan([want('a', { limits: { fuelPerMessage: 5_000_000 } })], [running('a')]), ['~ upgrade a (limits.fuel)']);
    assert.deepEqual(plan([want('a', { limits: { memoryPages: 16 } })], [running('a')]), ['= a unchanged'], 'a named limit that matches');
    assert.deepEqual(plan([want('a', { topics: ['x.*'] })], [running('a')]), ['~ upgrade a (topics)']);
    assert.deepEqual(
      plan([want('a', { topics: ['y', 'x.*'] })], [running('a', { topics: ['x.*', 'y'] })]),
      ['= a unchanged'],
      'order does not matter',
    );
    assert.deepEqual(plan([want('a')], [running('a', { topics: ['x.*'] })]), ['= a unchanged'], 'topics left out are kept');
  });

  it('scales a changed count; a scaled agent is upgraded in place, a scale-down before it and a scale-up after', () => {
    assert.deepEqual(plan([want('a', { replicas: 3 })], [running('a')]), ['^ scale a 1 -> 3']);
    assert.deepEqual(plan([want('a', { replicas: 3, digest: 'new' })], [running('a', { replicas: { replicas: 2, draining: 0 } })]), [
      '~ upgrade a (component)',
      '^ scale a 2 -> 3',
    ]);
    assert.deepEqual(plan([want('a', { replicas: 2, digest: 'new' })], [running('a', { replicas: { replicas: 3, draining: 0 } })]), [
      '^ scale a 3 -> 2',
      '~ upgrade a (component)',
    ]);
    assert.deepEqual(
      plan([want('a', { replicas: 2, config: { k: 'v' } })], [running('a', { replicas: { replicas: 2, draining: 0 } })]),
      ['~ upgrade a (config)'],
      'the same count: the upgrade alone',
    );
    assert.deepEqual(
      plan([want('a', { replicas: 3, digest: 'new' })], [running('a', { replicas: { replicas: 1, draining: 0, recorded: 3 } })]),
      ['~ upgrade a (component)', '^ scale a 1 -> 3'],
      'runs one of the three recorded (a start while held): scaled after the upgrade',
    );
    assert.deepEqual(
      plan([want('a')], [running('a', { replicas: { replicas: 1, draining: 0, recorded: 3 } })]),
      ['^ scale a 3 -> 1'],
      'the recorded count',
    );
  });

  it('rolls out a new component when the file asks, and leaves the scale-up for after it', () => {
    const rollout = { strategy: { kind: 'canary' as const, percent: 10 }, thresholds: {} };
    assert.deepEqual(plan([want('a', { digest: 'new', rollout })], [running('a')]), ['~ upgrade a (component) as a rollout']);
    assert.deepEqual(
      plan([want('a', { config: { k: 'v' }, rollout })], [running('a')]),
      ['~ upgrade a (config)'],
      'config alone: drain and swap',
    );
    assert.deepEqual(plan([want('a', { digest: 'new', rollout, replicas: 2 })], [running('a')]), [
      '~ upgrade a (component) as a rollout',
      '! a: scale to 2 after the rollout ends: apply again then',
    ]);
    assert.deepEqual(
      plan([want('a', { digest: 'new', rollout, replicas: 2 })], [running('a', { replicas: { replicas: 2, draining: 0 } })]),
      ['^ scale a 2 -> 1', '~ upgrade a (component) as a rollout', '! a: scale to 2 after the rollout ends: apply again then'],
      'a rollout is refused while scaled: down to one first',
    );
  });

  it('deploys an agent after the one its near names when the file declares both (else it would fall back)', () => {
    assert.deepEqual(plan([want('ping', { near: 'echo' }), want('pong', { near: 'ping' }), want('echo')], []), [
      '+ deploy echo',
      '+ deploy ping',
      '+ deploy pong',
    ]);
    assert.deepEqual(
      plan([want('a', { near: 'b' }), want('b', { near: 'a' })], []),
      ['+ deploy a', '+ deploy b'],
      'a cycle: the file’s order',
    );
    assert.deepEqual(
      plan([want('ping', { near: 'elsewhere' }), want('x')], []),
      ['+ deploy ping', '+ deploy x'],
      'a target not in the file',
    );
  });

  it('deploys with --near, keeps a placement the file leaves out or repeats, and refuses another (decision 2189)', () => {
    assert.deepEqual(plan([want('ping', { near: 'echo' })], []), ['+ deploy ping']);
    assert.equal(headerOf(want('ping', { near: 'echo' }), { op: 'deploy', agent: 'ping', kind: false }, {}).near, 'echo');
    const placed = running('ping', { near: { agent: 'echo', key: 'echo' } });
    assert.deepEqual(plan([want('ping', { near: 'echo' })], [placed]), ['= ping unchanged']);
    assert.deepEqual(plan([want('ping')], [placed]), ['= ping unchanged'], 'left out: kept');
    assert.match(
      plan([want('ping', { near: 'other' })], [placed])[0]!,
      /^! ping: it was deployed near echo, the file says near other.*kept for good: deploy it under another name near other/,
    );
    assert.match(plan([want('ping', { near: 'echo' })], [running('ping')])[0]!, /placed by its own name.*caxton stop ping/);
    assert.equal(
      headerOf(want('ping', { near: 'echo', digest: 'new' }), { op: 'upgrade', agent: 'ping', why: ['component'], rollout: false }, {})
        .near,
      undefined,
      'an upgrade sends none: the node keeps what it recorded',
    );
  });

  it('refuses what it must not guess: kind vs named agent, a rollout of another version in progress', () => {
    const kind = { active: 0, passivated: 0, activations: 0, idleMs: 1000 } as CurrentAgent['kind'];
    assert.match(
      plan([want('a')], [running('a', { kind })])[0]!,
      /^! a: runs as an agent kind, the file declares a named agent: stop it first \(caxton stop a\)/,
    );
    assert.match(
      plan([want('a', { kind: { idleMs: 1000 } })], [running('a')])[0]!,
      /^! a: runs as a named agent, the file declares a kind/,
    );
    const inProgress = (digest: string): CurrentAgent =>
      running('a', { rollout: { phase: 'baking', candidateVersion: 2, candidateDigest: digest } as CurrentAgent['rollout'] });
    assert.deepEqual(plan([want('a', { digest: 'new' })], [inProgress('new')]), ['= a unchanged'], "the file's own version baking");
    assert.match(plan([want('a', { digest: 'newer' })], [inProgress('new')])[0]!, /^! a: a rollout of version 2 is in progress/);
  });

  it('prunes only with --prune, never an instance of a kind; delete stops what the file names', () => {
    const current = [running('a'), running('old'), running('counter/alice')];
    assert.deepEqual(plan([want('a')], current), ['= a unchanged']);
    assert.deepEqual(plan([want('a')], current, true), ['= a unchanged', '- stop old (not in the file; --prune)']);
    assert.deepEqual(planDelete([{ name: 'a' }, { name: 'gone' }], current).map(formatStep), [
      '- stop a (named in the file)',
      '= gone unchanged',
    ]);
  });

  it('plans by state: stopped with its queue kept is deployed again; busy and failed ones are left, with why', () => {
    assert.deepEqual(plan([want('a')], [running('a', { state: 'stopped' })]), ['+ deploy a']);
    for (const state of ['starting', 'upgrading', 'restarting', 'stopping'] as const)
      assert.deepEqual(plan([want('a', { digest: 'new' })], [running('a', { state })]), [
        `! a: it is ${state}: apply again once it settles`,
      ]);
    assert.match(plan([want('a')], [running('a', { state: 'failed' })])[0]!, /^! a: it is failed .*caxton stop a/);
  });

  it("a kind's changed settings, a rolled-back rollout of the same component, and a count held at start-up", () => {
    const kind = { active: 0, passivated: 0, activations: 0, failed: 0, idleMs: 1000 } as CurrentAgent['kind'];
    assert.deepEqual(plan([want('k', { kind: { idleMs: 1000 } })], [running('k', { kind })]), ['= k unchanged']);
    assert.deepEqual(plan([want('k', { kind: { idleMs: 5000 } })], [running('k', { kind })]), [
      '! k: its kind settings (idle, max-active, priority-class) apply at its deploy only: stop it (caxton stop k), then apply',
      '= k unchanged',
    ]);
    // A class: `normal` is what a kind shown without one runs as; another class is a change.
    assert.deepEqual(plan([want('k', { kind: { idleMs: 1000, priorityClass: 'normal' } })], [running('k', { kind })]), ['= k unchanged']);
    assert.match(plan([want('k', { kind: { idleMs: 1000, priorityClass: 'high' } })], [running('k', { kind })])[0]!, /priority-class/);
    assert.deepEqual(
      plan([want('k', { kind: { idleMs: 1000, priorityClass: 'high' } })], [running('k', { kind: { ...kind!, priorityClass: 'high' } })]),
      ['= k unchanged'],
    );
    const rollout = { strategy: { kind: 'canary' as const, percent: 10 }, thresholds: {} };
    const rolledBack = running('a', {
      rollout: { phase: 'rolled-back', candidateVersion: 2, candidateDigest: 'new', reason: 'crash rate' } as CurrentAgent['rollout'],
    });
    assert.match(
      plan([want('a', { digest: 'new', rollout })], [rolledBack])[0]!,
      /^! a: its rollout of this component was rolled-back \(crash rate\)/,
    );
    assert.deepEqual(
      plan([want('a', { digest: 'newer', rollout })], [rolledBack]),
      ['~ upgrade a (component) as a rollout'],
      'another component: a new rollout',
    );
    assert.deepEqual(
      plan([want('a', { replicas: 3 })], [running('a', { replicas: { replicas: 1, draining: 0, recorded: 3 } })]),
      ['^ scale a 1 -> 3'],
      'recorded 3, running 1: not unchanged',
    );
  });

  it('refuses to plan against config it cannot read (a token without config.read sees it redacted)', () => {
    assert.throws(
      () => planApply([want('a', { config: { k: 'v' } })], [running('a', { config: { k: '<redacted>' } })], { prune: false }),
      (e: Error & { hint?: string }) => /redacted/.test(e.message) && /config\.read/.test(e.hint ?? ''),
    );
  });

  it('sends a rollout only for a new component, and the signature and language with every upload', () => {
    const rollout = { strategy: { kind: 'canary' as const, percent: 10 }, thresholds: {} };
    const w = want('a', { config: { k: 'v' }, rollout, limits: { fuelPerMessage: 5 }, topics: ['t'] });
    const component = { language: 'assemblyscript', signatureEnvelope: '{"payload":"x"}' };
    const configOnly = headerOf(w, { op: 'upgrade', agent: 'a', why: ['config'], rollout: false }, component);
    assert.equal(configOnly.rollout, undefined, 'a config change is a drain and swap');
    assert.equal(configOnly.replaceConfig, true);
    assert.deepEqual(configOnly.config, { k: 'v' });
    assert.equal(configOnly.signatureEnvelope, component.signatureEnvelope);
    assert.equal(configOnly.language, 'assemblyscript');
    assert.deepEqual(headerOf(w, { op: 'upgrade', agent: 'a', why: ['component'], rollout: true }, component).rollout, rollout);
    const deploy = headerOf({ ...w, keepState: true, kind: { idleMs: 10 } }, { op: 'deploy', agent: 'a', kind: true }, {});
    assert.equal(deploy.keepState, true);
    assert.deepEqual(deploy.kind, { idleMs: 10 });
    assert.equal(deploy.rollout, undefined);
    assert.equal(deploy.replaceConfig, undefined);
    assert.deepEqual(deploy.topics, ['t']);
    assert.deepEqual(deploy.limits, { fuelPerMessage: 5 });
  });
});
