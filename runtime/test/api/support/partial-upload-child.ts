/**
 * Child process for upload-cleanup.test.ts: starts a deploy, sends the header and part of the
 * artifact, says so on stdout, then hangs until the parent kills it with SIGKILL — a client that
 * dies mid-upload without closing anything.
 */
import { randomBytes } from 'node:crypto';
import { rawClient, startUpload } from './raw-client.js';

const [address, token] = process.argv.slice(2);
if (!address || !token) throw new Error('usage: partial-upload-child <address> <token>');

const client = rawClient(address);
const { call } = startUpload(client, 'DeployAgent', token);
call.write({
  header: {
    name: 'orphan',
    sha256: 'f'.repeat(64),
    totalSize: 512 * 1024,
    fuelPerMessage: 0,
    memoryPages: 0,
    config: {},
    replaceConfig: false,
  },
});
call.write({ chunk: randomBytes(64 * 1024) }, () => {
  process.stdout.write('sent\n');
});
setInterval(() => {}, 60_000);
