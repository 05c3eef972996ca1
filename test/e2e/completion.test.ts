/**
 * `caxton completion` for bash: the script is sourced in a real bash, which is then asked for
 * completions the way readline asks (COMP_WORDS / COMP_CWORD, then the registered function). The
 * script calls `caxton` by name, so a `caxton` on PATH runs this checkout's CLI, as after
 * `npm install`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, cleanEnv, show } from './support/cli.js';
import { CAXTON_BIN } from './support/paths.js';
import { tempDir } from './support/serve.js';

const hasBash = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;

describe('shell completion', { skip: !hasBash && 'bash is not installed' }, () => {
  let bin: string;
  let script: string;

  before(async () => {
    bin = await tempDir('caxton-e2e-completion-');
    await writeFile(path.join(bin, 'caxton'), `#!/bin/sh\nexec "${process.execPath}" "${CAXTON_BIN}" "$@"\n`);
    await chmod(path.join(bin, 'caxton'), 0o755);
    const r = await caxton(['completion']);
    assert.equal(r.code, 0, show(r));
    script = r.stdout;
  });
  after(() => rm(bin, { recursive: true, force: true }));

  /** What bash offers for the words typed so far (the last one being completed). */
  function complete(...words: string[]): string[] {
    const file = path.join(bin, 'completion.bash');
    const program = [
      `source ${JSON.stringify(file)}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      `COMP_LINE=${JSON.stringify(words.join(' '))}`,
      'fn=$(complete -p caxton | sed -E "s/.* -F ([^ ]+) .*/\\1/")',
      '"$fn" caxton "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
      env: cleanEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, `bash: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  it('prints a bash script that registers a completion function for caxton', async () => {
    assert.match(script, /^complete .* -F \S+ caxton$/m);
    await writeFile(path.join(bin, 'completion.bash'), script);
  });

  it('completes command names', () => {
    assert.deepEqual(complete('caxton', 'dep'), ['deploy']);
    assert.deepEqual(complete('caxton', 'de').sort(), ['delete', 'deploy', 'dev']);
    assert.deepEqual(complete('caxton', 'ap'), ['apply']);
    assert.deepEqual(complete('caxton', 's').sort(), ['scale', 'sdk', 'send', 'serve', 'sign', 'state', 'status', 'stop', 'suspend']);
    const all = complete('caxton', '');
    for (const command of [
      'serve',
      'build',
      'deploy',
      'apply',
      'diff',
      'delete',
      'upgrade',
      'dev',
      'test',
      'agents',
      'send',
      'tail',
      'logs',
      'stop',
      'status',
      'completion',
    ]) {
      assert.ok(all.includes(command), `${command} in ${all.join(' ')}`);
    }
  });

  it("completes a command's options, global ones included", () => {
    const deploy = complete('caxton', 'deploy', '--');
    for (const option of ['--name', '--fuel', '--memory', '--config', '--quiet', '--addr', '--token', '--data-dir', '--json']) {
      assert.ok(deploy.includes(option), `${option} in ${deploy.join(' ')}`);
    }
    assert.ok(!deploy.includes('--performative'), 'only deploy options');
    assert.deepEqual(complete('caxton', 'tail', '--per'), ['--performative']);
    assert.deepEqual(complete('caxton', 'serve', '--api-'), ['--api-host', '--api-port']);
  });
});
