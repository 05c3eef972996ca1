#!/usr/bin/env node
// Rewrites the limits table of docs/sandbox.md from the one table in @caxton/core
// (core/src/control/limits/agent-limits.ts, decision 1720). Run after `npm run build`; core/test/control/limits
// fails while the doc and the table differ.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { renderLimitsTable } = await import(path.join(root, 'core/dist/src/index.js'));
const doc = path.join(root, 'docs/sandbox.md');
const text = readFileSync(doc, 'utf8');
const re = /(<!-- limits-table:start[^>]*-->\n)[\s\S]*?(\n<!-- limits-table:end -->)/;
if (!re.test(text)) {
  console.error('docs/sandbox.md has no limits-table markers');
  process.exit(1);
}
writeFileSync(
  doc,
  text.replace(re, (_m, start, end) => `${start}${renderLimitsTable()}${end}`),
);
console.log('docs/sandbox.md: limits table regenerated');
