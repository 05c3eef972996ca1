/**
 * An outbound HTTP call whose handling completed, then SIGKILL (issue 24, decision 1601). The
 * HTTP example agent (examples/js-http-agent) calls a local server (the test's, counting requests)
 * when asked. A child node (crash/http-child.ts) is started with CAXTON_FAULT_POINT=after-commit:1:
 * the request's completion — with the call's pending record, in the same durable step — is the
 * first commit point, and the process dies right after it, before the applier releases the call.
 * The next life (unarmed) finds the record with no call in flight: the call is answered
 * `interrupted` (recovery), never sent. A second request in that life goes out normally.
 * Asserted: the server saw exactly one request (the second's body), once; the operator got exactly
 * one answer to each request (failure "http call failed: interrupted"; inform with the second's
 * answer); no pending-call record is left in the agent's committed state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { runLives } from './support/lives.js';

test('SIGKILL right after the commit of a handling that made an HTTP call: answered interrupted after the restart, never sent', {
  timeout: 90_000,
}, async () => {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body.toUpperCase());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-http-crash-'));
  const records = path.join(dataDir, 'records.txt');
  const nodeDir = path.join(dataDir, 'node');
  try {
    const lives = await runLives({
      child: 'http-child.js',
      args: (mode) =>
        mode === 'start'
          ? [mode, nodeDir, records, `http://localhost:${port}/shout`, String(port), 'first call']
          : [mode, nodeDir, records, `http://localhost:${port}/shout`, String(port), 'second call', 'r0'],
      faultPoint: (done) => (done.length === 0 ? 'after-commit:1' : undefined),
      maxLives: 2,
    });
    assert.deepEqual(
      lives.map((l) => l.signal ?? l.code),
      ['SIGKILL', 0],
    );
    const answers = (await readFile(records, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('R '))
      .map((l) => l.slice(2));
    assert.deepEqual(
      answers.filter((a) => a.startsWith('r0 ')),
      ['r0 failure http call failed: interrupted'],
    );
    assert.deepEqual(
      answers.filter((a) => a.startsWith('r1 ')),
      ['r1 inform SECOND CALL'],
    );
    assert.deepEqual(bodies, ['second call'], 'the interrupted call was sent');

    const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log') });
    log.events.on(() => {}, ['warning']);
    await log.open();
    const state = await log.readState('lookup');
    assert.equal(log.stats().pending, 0);
    await log.close();
    assert.deepEqual(
      [...state.keys()].filter((k) => k.startsWith('\u0000http/')),
      [],
      'pending-call records left',
    );
  } finally {
    server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
