#!/usr/bin/env node
// Runs test files in the order given, `--concurrency N` at a time: what `node --test <files…>`
// does, except that the command line sorts its files by name and this keeps the caller's order,
// so `npm test` can start its slowest files first (decision 2124). Run by whichever Node the phase
// is for; the flags it was started with are passed on to each test file's process, as `--test` does.
//   node run-files.mjs --concurrency 2 --summary <totals.json> <file>…
// The usual spec reporter writes to stdout and the summary reporter to <totals.json>. The exit code
// is 1 when a test failed (a failing todo does not count), as with `node --test`.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { parseArgs } from 'node:util';
import summaryReporter from './summary-reporter.mjs';

const { values, positionals } = parseArgs({
  options: { concurrency: { type: 'string', default: '1' }, summary: { type: 'string' } },
  allowPositionals: true,
});
const concurrency = Math.max(1, Number(values.concurrency) || 1);
const files = positionals.map((f) => path.resolve(f));

const stream = run({ files, concurrency });
stream.on('test:fail', (data) => {
  if (!data.todo) process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
if (values.summary !== undefined) stream.compose(summaryReporter).pipe(createWriteStream(values.summary));
