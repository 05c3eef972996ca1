/**
 * Every `caxton new` template carries a scenario (decision 2030): one language's scaffold, fresh in
 * a directory outside the checkout, passes its own `caxton test` as it is. One test file per
 * language (test-command-template-*.test.ts): each build is CPU-bound, and one file for both went
 * over the 20 s a test file may take on a loaded machine.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './cli.js';
import { stopStragglers } from './processes.js';
import { tempDir } from './serve.js';

export function templateScenarioPasses(language: string): void {
  describe(`caxton test: the scenario of caxton new ${language}`, () => {
    let work: string | undefined;
    after(async () => {
      await stopStragglers();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(`a new ${language} project passes its scenario as it is`, async () => {
      work = await tempDir(`caxton-test-template-${language}-`);
      const dir = path.join(work, `new-${language}`);
      const created = await caxton(['new', language, dir]);
      assert.equal(created.code, 0, show(created));
      const run = await caxton(['test', dir, '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
      assert.equal(run.code, 0, show(run));
      const shown = `new-${language}/scenarios/echo.json (new-${language} answers a request with an inform of the same content)`;
      assert.equal(
        run.stdout,
        [
          'TAP version 13',
          '1..2',
          `ok 1 - ${shown}: step 1: request "hello"`,
          `ok 2 - ${shown}: step 2: request "and again"`,
          '# pass 2',
          '# fail 0',
          '',
        ].join('\n'),
      );
    });
  });
}
