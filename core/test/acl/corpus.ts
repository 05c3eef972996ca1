/**
 * Loads the FIPA corpus kept in the repository (core/test/fixtures/fipa-corpus).
 * A missing corpus is a failure, not a skip: these tests are what proves we read real JADE traffic.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ValidEntry {
  id: string;
  text: string;
  expect: Record<string, unknown>;
  jade_accepts: boolean;
}

export interface InvalidEntry {
  id: string;
  text: string;
  why: string;
  jade_accepts: boolean;
}

// Compiled tests run from core/dist/test/acl/, four levels below the repository root.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const corpusDir = path.resolve(repoRoot, 'core/test/fixtures/fipa-corpus');

function readJsonl<T>(file: string): T[] {
  const full = path.join(corpusDir, file);
  if (!existsSync(full)) {
    throw new Error(
      `FIPA corpus not found at ${full}. The ACL tests need core/test/fixtures/fipa-corpus ` +
        'from the repository; restore it (git checkout -- core/test/fixtures) rather than skipping these tests.',
    );
  }
  const entries = readFileSync(full, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
  if (entries.length === 0) throw new Error(`${full} is empty`);
  return entries;
}

export const loadValid = (): ValidEntry[] => readJsonl<ValidEntry>('valid.jsonl');
export const loadInvalid = (): InvalidEntry[] => readJsonl<InvalidEntry>('invalid.jsonl');
