/**
 * deploy/prometheus/alerts.yaml (decision 1850), checked by the real `promtool` of Debian's
 * prometheus package (scripts/infra unpacks it into the cache, the same package the Prometheus
 * tests run): the rules parse and evaluate (`promtool check rules`), and every rule's unit test in
 * alerts.test.yaml passes (`promtool test rules`: input series → the alerts expected, with labels
 * and annotations, and the healthy series beside them that must not fire). Then that the unit
 * tests really bind the rules — a copy with one threshold loosened fails them — that every rule has
 * a test, a `for:`, a severity and a runbook hint, and that every metric the rules read is one the
 * node exports (docs/operations.md's Metrics table).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { ROOT } from '../cluster/support/paths.js';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

const DIR = path.join(ROOT, 'deploy', 'prometheus');
const RULES = readFileSync(path.join(DIR, 'alerts.yaml'), 'utf8');
const TESTS = readFileSync(path.join(DIR, 'alerts.test.yaml'), 'utf8');

/** Each `- alert:` block of the rules file: its name and its text (up to the next rule). */
function ruleBlocks(text: string): { name: string; text: string }[] {
  const parts = text.split(/^\s+- alert: /m).slice(1);
  return parts.map((p) => ({ name: p.slice(0, p.indexOf('\n')).trim(), text: p }));
}

describe('deploy/prometheus/alerts.yaml (real promtool)', { timeout: 5 * 60_000 }, () => {
  let lib: typeof Infra;
  /** Why promtool could not be obtained, when it could not (the only reason to skip). */
  let unavailable: string | undefined;
  const needPromtool = (t: TestContext): boolean => {
    if (unavailable === undefined) return true;
    t.skip(`promtool unavailable: ${unavailable}`);
    return false;
  };

  before(async () => {
    lib = await infra();
    try {
      await lib.installPrometheus();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // No apt-get or no archive reachable: say so; anything else is a real failure.
      if (code !== 'infra.prometheus.no-apt' && code !== 'infra.prometheus.download-failed') throw err;
      unavailable = `${code}: ${(err as Error).message}`;
    }
  });

  it('promtool check rules accepts every rule', async (t) => {
    if (!needPromtool(t)) return;
    const r = await lib.promtool(['check', 'rules', 'alerts.yaml'], { cwd: DIR });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${ruleBlocks(RULES).length} rules found`), r.output);
  });

  it('promtool test rules: every unit test in alerts.test.yaml passes', async (t) => {
    if (!needPromtool(t)) return;
    const r = await lib.promtool(['test', 'rules', 'alerts.test.yaml'], { cwd: DIR });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it('the unit tests bind the rules: a loosened threshold fails them', async (t) => {
    if (!needPromtool(t)) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'caxton-alerts-'));
    try {
      // Mailbox saturation at 95 % instead of 80 %: "busy" (90 %) must then be missing.
      const loosened = RULES.replace(
        'group_left () max by (cluster, node) (caxton_bus_mailbox_capacity) > 0.8',
        'group_left () max by (cluster, node) (caxton_bus_mailbox_capacity) > 0.95',
      );
      assert.notEqual(loosened, RULES, 'the saturation threshold is where this test expects it');
      writeFileSync(path.join(dir, 'alerts.yaml'), loosened);
      writeFileSync(path.join(dir, 'alerts.test.yaml'), TESTS);
      const r = await lib.promtool(['test', 'rules', 'alerts.test.yaml'], { cwd: dir });
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /alertname: CaxtonMailboxSaturated/, r.output);
      assert.match(r.output, /agent="busy"/, r.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every rule has a unit test that expects it to fire, a for:, a severity and a runbook hint', () => {
    const rules = ruleBlocks(RULES);
    assert.ok(rules.length >= 8, rules.map((r) => r.name).join(', '));
    for (const rule of rules) {
      assert.match(rule.text, /^\s+for: \d+m$/m, `${rule.name} has a for:`);
      assert.match(rule.text, /^\s+severity: (critical|warning|info)$/m, `${rule.name} has a severity`);
      assert.match(rule.text, /^\s+summary: /m, `${rule.name} has a summary`);
      assert.match(rule.text, /^\s+description: .*Runbook: /m, `${rule.name}'s description has a runbook hint`);
      const firing = new RegExp(`alertname: ${rule.name}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`);
      assert.match(TESTS, firing, `alerts.test.yaml expects ${rule.name} to fire`);
    }
  });

  it('every metric the rules read is one the node exports (docs/operations.md, Metrics)', () => {
    const documented = readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const used = new Set([...RULES.matchAll(/\bcaxton_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')));
    assert.ok(used.size >= 8, [...used].join(', '));
    for (const name of used) assert.ok(documented.includes(`| \`${name}\` |`), `${name} is in the Metrics table`);
  });
});
