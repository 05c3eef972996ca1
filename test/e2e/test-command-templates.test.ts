/**
 * Every `caxton new` template carries a scenario (decision 2030); here the AssemblyScript and
 * JavaScript scaffolds, fresh in a directory outside the checkout, pass their own `caxton test`
 * as they are. (The C and Rust scaffolds run theirs in outside-c.test.ts and outside-rust.test.ts,
 * which build them anyway; every language's is checked against the format by
 * cli/test/scenario-templates.test.ts; Go and Python would cost minutes of CI here.)
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { tempDir } from './support/serve.js';

describe('caxton test: the scenario of every caxton new template', () => {
  let work: string | undefined;
  after(async () => {
    await stopStragglers();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const language of ['assemblyscript', 'javascript']) {
    it(`a new ${language} project passes its scenario as it is`, async () => {
      work ??= await tempDir('caxton-test-templates-');
      const dir = path.join(work, `new-${language}`);
      const created = await caxton(['new', language, dir]);
      assert.equal(created.code, 0, show(created));
      const run = await caxton(['test', dir, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
      assert.equal(run.code, 0, show(run));
      const shown = `new-${language}/scenarios/echo.json (new-${language} answers a request with an inform of the same content)`;
      assert.equal(run.stdout, [
        'TAP version 13', '1..2',
        `ok 1 - ${shown}: step 1: request "hello"`,
        `ok 2 - ${shown}: step 2: request "and again"`,
        '# pass 2', '# fail 0', '',
      ].join('\n'));
    });
  }
});
