import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildManifestPath, languageFromManifest, recordedLanguage } from '../src/artifact-language.js';

const bytes = new TextEncoder().encode('\0asm component bytes');
const sha = createHash('sha256').update(bytes).digest('hex');

describe('the language caxton build recorded beside an artifact', () => {
  it('names the manifest after the artifact', () => {
    assert.equal(buildManifestPath(path.join('build', 'echo.wasm')), path.join('build', 'echo.build.json'));
    assert.equal(buildManifestPath('echo.WASM'), 'echo.build.json');
    assert.equal(buildManifestPath('echo.bin'), undefined);
  });

  it('takes the language only from a manifest of exactly these bytes', () => {
    assert.equal(languageFromManifest(JSON.stringify({ language: 'assemblyscript', sha256: sha }), bytes), 'assemblyscript');
    assert.equal(languageFromManifest(JSON.stringify({ language: 'rust', sha256: 'ab'.repeat(32) }), bytes), undefined, 'a stale manifest');
    assert.equal(languageFromManifest(JSON.stringify({ sha256: sha }), bytes), undefined);
    assert.equal(languageFromManifest(JSON.stringify({ language: 7, sha256: sha }), bytes), undefined);
    assert.equal(languageFromManifest('not json', bytes), undefined);
    assert.equal(languageFromManifest('null', bytes), undefined);
  });

  it('reads it from disk, and finds nothing when there is no manifest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-artifact-language-'));
    try {
      const wasm = path.join(dir, 'echo.wasm');
      await writeFile(wasm, bytes);
      assert.equal(await recordedLanguage(wasm, bytes), undefined);
      await writeFile(path.join(dir, 'echo.build.json'), JSON.stringify({ name: 'echo', language: 'tinygo', sha256: sha }));
      assert.equal(await recordedLanguage(wasm, bytes), 'tinygo');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
