/**
 * The application file (decision 2169), read hostile: a good file parses into typed agents with
 * their sources resolved against the file's folder (YAML and JSON alike); a bad one is refused
 * whole, every problem with its line, column and field; the published JSON Schema is the one the
 * field table generates (docs/schemas/caxton-app.schema.json is not edited by hand).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appManifestJsonSchema, MANIFEST_LIMITS, ManifestError, parseAppManifest } from '../src/apply/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function problems(text: string): string[] {
  try {
    parseAppManifest(text, 'app.yaml');
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /nothing was applied/);
    return err.problems.map((p) => `${p.line}:${p.column} ${p.field}`);
  }
  assert.fail('the file was accepted');
}

describe('application file', () => {
  it('parses every field into typed values, sources relative to the file', () => {
    const m = parseAppManifest(
      [
        'apiVersion: caxton/v1',
        'agents:',
        '  - name: pricing',
        '    source: build/pricing.wasm',
        '    config: { region: eu, retries: 3 }',
        '    limits: { fuel: 5M, memory: 4MiB }',
        '    replicas: 3',
        "    topics: ['orders.*', alerts]",
        '    rollout: { strategy: canary:10, bake: 15m }',
        '  - name: counter',
        '    source: ../agents/counter',
        '    kind: { idle: 10s, priority-class: high }',
        '    keepState: true',
      ].join('\n'),
      path.join('/srv', 'app', 'app.yaml'),
    );
    assert.equal(m.agents.length, 2);
    const [p, c] = m.agents;
    assert.equal(p!.source, path.join('/srv', 'app', 'build', 'pricing.wasm'));
    assert.deepEqual(p!.config, { region: 'eu', retries: '3' });
    assert.deepEqual(p!.limits, { fuelPerMessage: 5_000_000, memoryPages: 64 });
    assert.equal(p!.replicas, 3);
    assert.deepEqual(p!.topics, ['orders.*', 'alerts']);
    assert.deepEqual(p!.rollout?.strategy, { kind: 'canary', percent: 10 });
    assert.equal(p!.rollout?.thresholds.bakeMs, 900_000);
    assert.equal(p!.line, 3);
    assert.equal(c!.source, path.join('/srv', 'agents', 'counter'));
    assert.deepEqual(c!.kind, { idleMs: 10_000, priorityClass: 'high' });
    assert.equal(c!.keepState, true);
    assert.equal(c!.replicas, 1);
  });

  it('reads near (decision 2189), and refuses it on a kind and when it is no agent name', () => {
    const m = parseAppManifest(
      ['apiVersion: caxton/v1', 'agents:', '  - name: ping', '    source: p.wasm', '    near: echo'].join('\n'),
      'app.yaml',
    );
    assert.equal(m.agents[0]!.near, 'echo');
    assert.deepEqual(
      problems(
        ['apiVersion: caxton/v1', 'agents:', '  - name: k', '    source: k.wasm', '    kind: { idle: 10s }', '    near: echo'].join('\n'),
      ),
      ['6:11 agents[0].near'],
    );
    assert.deepEqual(
      problems(['apiVersion: caxton/v1', 'agents:', '  - name: p', '    source: p.wasm', "    near: 'no such!'"].join('\n')),
      ['5:11 agents[0].near'],
    );
  });

  it('reads JSON (YAML is a superset) and an empty list', () => {
    assert.deepEqual(parseAppManifest('{"apiVersion": "caxton/v1", "agents": []}', 'app.json').agents, []);
    assert.equal(parseAppManifest('{"apiVersion":"caxton/v1","agents":[{"name":"a","source":"a.wasm"}]}', 'app.json').agents[0]!.name, 'a');
  });

  it('refuses a file whole, each problem with its line, column and field', () => {
    const found = problems(
      [
        'apiVersion: caxton/v1',
        'agents:',
        '  - name: worker',
        '    source: w.wasm',
        '    replicas: -1',
        '    colour: blue',
        '    limits: { fuel: lots, speed: 3 }',
        '  - name: "bad name"',
        '    source: x.wasm',
        '  - name: worker',
        '    source: w.wasm',
        '  - name: k',
        '    source: k.wasm',
        '    kind: { idle: 10s, priority-class: urgent }',
        '    replicas: 2',
        '  - source: only.wasm',
        '    rollout: { bake: 10m }',
      ].join('\n'),
    );
    assert.deepEqual(found, [
      '5:15 agents[0].replicas',
      '6:5 agents[0].colour',
      '7:13 agents[0].limits',
      '7:27 agents[0].limits.speed',
      '8:11 agents[1].name',
      '10:5 agents[2].name',
      '14:11 agents[3].kind',
      '15:15 agents[3].replicas',
      '16:5 agents[4].name',
      '17:14 agents[4].rollout',
    ]);
  });

  it('refuses what is not the format: another version, syntax, a scalar, unknown top-level fields, aliases, a file past its bound', () => {
    assert.deepEqual(problems('apiVersion: caxton/v2\nagents: []\n'), ['1:13 apiVersion']);
    assert.deepEqual(problems('agents: []\n'), ['1:1 apiVersion']);
    assert.deepEqual(problems('apiVersion: caxton/v1\nagents: [\n'), ['3:1 (syntax)']);
    assert.deepEqual(problems('just text'), ['1:1 (file)']);
    assert.deepEqual(problems('apiVersion: caxton/v1\nagents: []\nextra: 1\n'), ['3:1 extra']);
    assert.deepEqual(
      problems('apiVersion: caxton/v1\napiVersion: caxton/v1\nagents: []\n').length,
      1,
      'a key given twice is a syntax problem',
    );
    assert.deepEqual(
      problems('apiVersion: caxton/v1\nx: &n w.wasm\nagents:\n  - name: a\n    source: *n\n'),
      ['2:1 x', '5:13 agents[0].source'],
      'an alias is no string value',
    );
    assert.deepEqual(problems(`apiVersion: caxton/v1\nagents: []\n#${'x'.repeat(MANIFEST_LIMITS.maxBytes)}\n`), ['1:1 (file)']);
  });

  it('keeps config values as written (YAML would read numbers out of them); refuses tags, deep nesting, a null list, and quotes odd keys', () => {
    const m = parseAppManifest(
      'apiVersion: caxton/v1\nagents:\n  - name: a\n    source: a.wasm\n    config: { zip: 01234, v: 1.10, big: 12345678901234567890, on: true, s: "x" }\n',
      'app.yaml',
    );
    assert.deepEqual(m.agents[0]!.config, { zip: '01234', v: '1.10', big: '12345678901234567890', on: 'true', s: 'x' });
    assert.deepEqual(problems('apiVersion: caxton/v1\nagents:\n  - name: !foo a\n    source: a.wasm\n').length, 1, 'an unknown tag');
    assert.deepEqual(
      problems(`apiVersion: caxton/v1\nagents: ${'['.repeat(20_000)}\n`).length >= 1,
      true,
      'deep nesting is a problem, not a crash',
    );
    assert.deepEqual(problems('apiVersion: caxton/v1\nagents:\n'), ['2:8 agents']);
    const odd = problems(`apiVersion: caxton/v1\nagents:\n  - name: a\n    source: a.wasm\n    "\\e[31m${'k'.repeat(100)}": 1\n`);
    assert.equal(odd.length, 1);
    assert.ok(odd[0]!.includes('agents[0]."') && odd[0]!.length < 80, odd[0]);
  });

  it('publishes the JSON Schema its field table generates', () => {
    const published = JSON.parse(readFileSync(path.join(ROOT, 'docs/schemas/caxton-app.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(published, appManifestJsonSchema(), 'stale: run node scripts/app-schema.mjs');
    const agent = (appManifestJsonSchema().properties as { agents: { items: { required: string[]; properties: Record<string, unknown> } } })
      .agents.items;
    assert.deepEqual(agent.required, ['name', 'source']);
    assert.ok(Object.hasOwn(agent.properties, 'replicas') && Object.hasOwn(agent.properties, 'rollout'));
  });
});
