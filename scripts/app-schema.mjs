#!/usr/bin/env node
// Writes docs/schemas/caxton-app.schema.json from the application file's field table
// (cli/src/apply/manifest-fields.ts, decision 2169). Run after `npm run build`;
// cli/test/apply-manifest.test.ts fails while the published file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { appManifestJsonSchema } = await import(path.join(root, 'cli/dist/src/apply/index.js'));
const out = path.join(root, 'docs/schemas/caxton-app.schema.json');
writeFileSync(out, `${JSON.stringify(appManifestJsonSchema(), null, 2)}\n`);
console.log(`app-schema: wrote ${path.relative(root, out)}`);
