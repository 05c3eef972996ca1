/**
 * The bundled CLI (cli/dist/bundle, decision 2051) says exactly what the compiled modules say:
 * help, errors and exit codes, in English and in a locale yargs translates (its locale files are
 * found from import.meta.url, which the bundle rewrites), and in one whose help is laid out with
 * wide characters (Japanese: the bundle's string-width answers ASCII itself and loads the real
 * module on the first other string; that reaches cliui's and wrap-ansi's copies, while yargs' own
 * copy is asked only for ASCII option and command names, so the wrapper is compared with each of
 * the three real copies in bundle-stamp.test.ts). Each case runs the bin twice, with and without
 * CAXTON_CLI_UNBUNDLED=1, and compares stdout, stderr and the exit code.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton } from './support/run-cli.js';

const CASES: readonly { name: string; args: string[] }[] = [
  { name: 'top-level --help', args: ['--help'] },
  { name: 'deploy --help', args: ['deploy', '--help'] },
  { name: 'an unknown command', args: ['no-such-command'] },
  { name: 'a missing positional', args: ['deploy'] },
  { name: 'an unknown flag', args: ['agents', '--no-such-flag'] },
];

let work: string;

describe('bundled caxton = unbundled caxton', () => {
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'caxton-parity-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const locale of ['C', 'de_DE.UTF-8', 'ja_JP.UTF-8']) {
    for (const c of CASES) {
      it(`${c.name} under LANG=${locale}`, { timeout: 60_000 }, async () => {
        const env = { LANG: locale, LC_ALL: locale, LC_MESSAGES: locale };
        const [bundled, unbundled] = await Promise.all([
          caxton(c.args, { cwd: work, env }),
          caxton(c.args, { cwd: work, env: { ...env, CAXTON_CLI_UNBUNDLED: '1' } }),
        ]);
        assert.ok(bundled.stdout.length + bundled.stderr.length > 0, 'caxton printed nothing');
        assert.deepEqual(bundled, unbundled);
      });
    }
  }

  it('the German run is translated (else the comparison above proves nothing about locales)', { timeout: 60_000 }, async () => {
    const r = await caxton(['--help'], { cwd: work, env: { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LC_MESSAGES: 'de_DE.UTF-8' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Kommandos:/);
  });

  it("the Japanese run lays out wide characters (else cliui's and wrap-ansi's string-width went unchecked off ASCII)", {
    timeout: 60_000,
  }, async () => {
    const r = await caxton(['deploy', '--help'], {
      cwd: work,
      env: { LANG: 'ja_JP.UTF-8', LC_ALL: 'ja_JP.UTF-8', LC_MESSAGES: 'ja_JP.UTF-8' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /位置:/);
    assert.match(r.stdout, /\[文字列\] \[必須\]/);
  });
});
