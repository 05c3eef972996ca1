/**
 * `--cluster-record-key-file` (decision 2185) is read once at start: a regular file, at most 64 KiB,
 * readable by this user alone, else refused with a hint before anything is opened; a bad line says
 * where and what, never the text of a key id (with the columns swapped, it is the secret).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { kafkaRecordKeys } from '../../../src/topology/cluster/transport-credentials.js';
import { RecordKeyError } from '../../../src/log/kafka/errors.js';

describe('record key files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'caxton-record-key-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode = 0o600): string => {
    const f = path.join(dir, name);
    writeFileSync(f, text, { mode });
    return f;
  };
  const keys = (recordKeyFile: string) => kafkaRecordKeys({ brokers: ['k:9092'], recordKeyFile });
  const refused = (recordKeyFile: string, message: RegExp, hint: RegExp) =>
    assert.throws(
      () => keys(recordKeyFile),
      (e: unknown) =>
        e instanceof RecordKeyError && e.code === 'log.record-key-invalid' && message.test(e.message) && hint.test(e.hint ?? ''),
    );
  const secret = randomBytes(32).toString('base64');

  it('a file of this user alone is read', () => {
    assert.deepEqual(keys(file('ok', `k1 ${secret}\n`))?.ids, ['k1']);
  });

  it('refuses a file others may read, one too large, and what is not a regular file', { skip: process.platform === 'win32' }, () => {
    refused(file('shared', `k1 ${secret}\n`, 0o644), /readable or writable by others \(mode 644\)/, /chmod 600.*defaultMode: 0400/);
    refused(file('group', `k1 ${secret}\n`, 0o640), /mode 640/, /chmod 600/);
    refused(file('big', `# ${'x'.repeat(70 * 1024)}\nk1 ${secret}\n`), /more than 65536/, /check the path/);
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub, { mode: 0o700 });
    refused(sub, /not a regular file/, /plain file/);
  });

  it('never echoes a bad key id: with the columns swapped it is the secret; its length and line are said', () => {
    const swapped = file('swapped', `# keys\n${secret} k1\n`);
    assert.throws(
      () => keys(swapped),
      (e: unknown) =>
        e instanceof RecordKeyError &&
        /line 2: the key id \(its first column, 44 characters\) is not a plain name/.test(e.message) &&
        !e.message.includes(secret.slice(0, 8)) &&
        !JSON.stringify(e).includes(secret.slice(0, 8)),
    );
  });
});
