/**
 * Every `caxton new` template carries a scenario that `caxton test` accepts (decision 2030): each
 * language's project is scaffolded into a temporary directory and its scenarios/*.json parsed and
 * name-checked as the command does before it starts a node. The AssemblyScript and JavaScript
 * scaffolds also run theirs end to end (test/e2e/test-command-template-assemblyscript.test.ts and -javascript.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_LANGUAGES, scaffoldAgent, scaffoldLanguages } from '@caxton/toolchain';
import { checkNames, parseScenario } from '../src/scenario/scenario.js';

describe('caxton new: a scenario in every template', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'caxton-templates-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("every language has a template, and each template's scenarios parse and name only the agent", async () => {
    assert.deepEqual([...scaffoldLanguages()].sort(), [...AGENT_LANGUAGES].sort());
    for (const language of scaffoldLanguages()) {
      const dir = path.join(work, `new-${language}`);
      const { name } = await scaffoldAgent(language, dir);
      const files = (await readdir(path.join(dir, 'scenarios'))).filter((f) => f.endsWith('.json'));
      assert.ok(files.length > 0, `${language}: a scenario`);
      for (const f of files) {
        const s = parseScenario(`${language}/${f}`, await readFile(path.join(dir, 'scenarios', f), 'utf8'));
        checkNames(s, name);
        assert.ok(s.steps.length > 0 && s.steps.every((step) => step.expect.length > 0), `${language}/${f}: every step expects something`);
        assert.ok(!JSON.stringify(s).includes('{{'), `${language}/${f}: every placeholder filled in`);
      }
    }
  });
});
