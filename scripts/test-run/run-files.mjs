// One phase of `npm test`: runs the given test files with node:test's run(), `concurrency` at a
// time, in the order given, with the spec reporter on stdout and the summary reporter
// (summary-reporter.mjs) into `summaryFile`. Not `node --test <files>`: the command line sorts
// its files by path, and the order is the point — `npm test` gives them longest first
// (decision 2166). The flags this process was started with (the file watchdog's --import, V8's
// wasm flag on Node 20) are passed on to every file's process by the runner, as `--test` does.
//   node [flags] run-files.mjs <concurrency> <summaryFile> <file>…
// Exits 1 when a test failed (a todo's failure does not count), as `node --test` does.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import summaryReporter from './summary-reporter.mjs';

const [concurrency, summaryFile, ...files] = process.argv.slice(2);
if (!concurrency || !summaryFile || files.length === 0) {
  process.stderr.write('usage: node run-files.mjs <concurrency> <summary file> <test file>…\n');
  process.exit(2);
}

const events = run({ files: files.map((f) => path.resolve(f)), concurrency: Number(concurrency) });
let failed = false;
// A todo's failure does not fail the run; `todo: ''` is a todo too (node's own rule).
events.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) failed = true;
});
// Both reporters read every event: one stream piped into two.
const toSpec = new PassThrough({ objectMode: true });
const toSummary = new PassThrough({ objectMode: true });
events.pipe(toSpec);
events.pipe(toSummary);
const summaryOut = createWriteStream(summaryFile);
toSpec.compose(new spec()).pipe(process.stdout);
toSummary.compose(summaryReporter).pipe(summaryOut);
await finished(summaryOut);
process.exitCode = failed ? 1 : 0;
