/**
 * A user's clone has nothing beside it: no file of the project may read from outside the
 * repository (the developers' shared folder beside the checkout is not the product's) or name an absolute path of
 * one machine. `.ci/run` proves the same thing end to end by running the suite from a clone in an
 * empty temporary directory; this test catches the mistake at its source, with the file and line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to test/dist/repo/, three levels below the repository root.
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Regular files git tracks (mode 100644/100755): symlinks and binaries are not read. */
function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-s', '-z'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((row) => /^1006[0-9]{2} /.test(row))
    .map((row) => row.slice(row.indexOf('\t') + 1))
    .filter((f) => f !== 'package-lock.json' && !/\.(wasm|png|jpg|gz)$/.test(f));
}

// Paths that exist only on some machine: a sibling folder of the checkout, or a user's or this
// workplace's home. `/usr/bin/…`-style system paths are fine (they are part of the platform).
const OUTSIDE = [
  { what: 'a folder beside the repository', re: /\.\.\/shared\b/ },
  { what: 'an absolute path of one machine', re: /(?<![\w.-])\/(work|home\/[a-z_][\w-]*|Users\/[\w-]+|root)\/[\w.-]/ },
];

describe('the repository is self-contained', () => {
  it("no tracked file reads from beside the repository or names a machine's absolute path", () => {
    const offenders: string[] = [];
    for (const file of trackedTextFiles()) {
      const text = readFileSync(path.join(root, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        for (const { what, re } of OUTSIDE) if (re.test(line)) offenders.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(offenders, []);
  });

  it('the FIPA corpus the ACL tests read is part of the repository', () => {
    const files = trackedTextFiles();
    for (const f of ['README.md', 'valid.jsonl', 'invalid.jsonl']) {
      assert.ok(files.includes(`core/test/fixtures/fipa-corpus/${f}`), `core/test/fixtures/fipa-corpus/${f} is not tracked`);
    }
  });
});
