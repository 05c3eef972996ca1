/**
 * The main job's builder (scripts/example-builder.mjs, the one scripts/main-job.mjs uses): a build
 * that fails says why with the compiler's own last lines. A real failing build: the C courier of
 * the contract net, copied to a temp directory and broken, built by the same child process
 * (scripts/build-examples.mjs --examples-dir) with the real clang.
 */
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../cluster/support/paths.js';

interface ExampleBuilder {
  FAILURE_LINES: number;
  failureLines(stderr: string, max?: number): string[];
  buildExample(example: string, timeoutMs: number, o?: { examplesDir?: string }): Promise<string>;
}
const load = (): Promise<ExampleBuilder> =>
  import(pathToFileURL(path.join(ROOT, 'scripts', 'example-builder.mjs')).href) as Promise<ExampleBuilder>;

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-broken-example-'));
  await cp(path.join(ROOT, 'examples', 'contract-net', 'c-contractor'), path.join(dir, 'broken-c'), {
    recursive: true,
    filter: (src) => !src.split(path.sep).includes('build'),
  });
  await appendFile(
    path.join(dir, 'broken-c', 'src', 'contractor.c'),
    '\nint caxton_broken_on_purpose(void) { return no_such_name_here; }\n',
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the main job's build of one example", () => {
  it("rejects a broken agent with the compiler's own last lines", async () => {
    const { buildExample, FAILURE_LINES } = await load();
    // Generous: the machine is shared; the deadline only bounds a hung compiler.
    const err = await buildExample('broken-c', 600_000, { examplesDir: dir }).then(
      () => assert.fail('the broken agent built'),
      (e: Error & { lines?: string[] }) => e,
    );
    assert.match(err.message, /^FAILED\s+\S*broken-c: c compilation of \S+ failed:/);
    const lines = err.lines ?? [];
    assert.ok(lines.length > 0 && lines.length <= FAILURE_LINES, lines.join('\n'));
    // clang's diagnostic, with file and line, as the compiler printed it.
    assert.ok(
      lines.some((l) => /contractor\.c:\d+:\d+: error: use of undeclared identifier 'no_such_name_here'/.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => /example\(s\) failed to build/.test(l)), "the closing summary is not the compiler's");
  });

  it('keeps the last lines after the FAILED report, each cut short, at most the bound', async () => {
    const { failureLines } = await load();
    const compiler = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const stderr = [
      'toolchain c: ready',
      `FAILED      x: c compilation of x failed:`,
      ...compiler,
      '',
      '1 example(s) failed to build: x',
      '',
    ].join('\n');
    assert.deepEqual(failureLines(stderr, 20), compiler.slice(-20));
    assert.deepEqual(
      failureLines('apt-get could not install clang\nhint: run it yourself', 5),
      ['apt-get could not install clang', 'hint: run it yourself'],
      "no FAILED report: the output's tail",
    );
    assert.equal(failureLines(`FAILED x\n${'y'.repeat(1000)}`)[0], `${'y'.repeat(300)}…`);
  });
});
