/**
 * `caxton test` with other agents beside the one under test (decision 2030): the JavaScript
 * contract-net initiator copied outside the checkout, two AssemblyScript contractors deployed from
 * their built component, all on a topic. The scenario checks the messages between them — both bids
 * on the call for proposals, then, once the virtual clock passes the initiator's deadline, the
 * award to the cheaper one, the rejection of the other and the result to the requester. A name
 * the scenario does not deploy is refused with file:line before any node starts.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { copyExample } from './support/project.js';
import { stopStragglers } from './support/processes.js';
import { tempDir } from './support/serve.js';

describe('caxton test: agents beside the one under test', () => {
  let work: string | undefined;
  after(async () => {
    await stopStragglers();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("deploys the scenario's agents and checks the messages between them, the deadline passed on the virtual clock", async () => {
    work = await tempDir('caxton-test-agents-');
    const dir = await copyExample('contract-net/js-initiator', work, 'broker');
    await mkdir(path.join(dir, 'scenarios'));
    const contractor = builtExample('contract-net/as-contractor', 'cnet-contractor.wasm');
    await writeFile(
      path.join(dir, 'scenarios', 'auction.json'),
      JSON.stringify(
        {
          description: 'the cheaper bid wins at the deadline',
          config: { topic: 'parcels', 'deadline-ms': '60000' },
          agents: [
            { name: 'courier-a', path: contractor, config: { price: '7', topic: 'parcels' } },
            { name: 'courier-b', path: contractor, config: { price: '4', topic: 'parcels' } },
          ],
          steps: [
            {
              send: { performative: 'request', content: 'parcel to Leeds' },
              expect: [
                { performative: 'agree' },
                { from: 'courier-a', to: 'broker', performative: 'propose', contentIncludes: '7' },
                { from: 'courier-b', to: 'broker', performative: 'propose', contentIncludes: '4' },
              ],
            },
            {
              advance: '1m',
              expect: [
                { from: 'broker', to: 'courier-b', performative: 'accept-proposal' },
                { from: 'broker', to: 'courier-a', performative: 'reject-proposal' },
                { from: 'courier-b', to: 'broker', performative: 'inform', contentIncludes: 'by courier-b' },
                { from: 'broker', performative: 'inform', contentIncludes: 'done: parcel to Leeds by courier-b' },
              ],
            },
          ],
        },
        null,
        2,
      ),
    );

    const run = await caxton(['test', dir, '--name', 'broker', '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(run.code, 0, show(run));
    assert.match(
      run.stdout,
      /^TAP version 13\n1\.\.2\nok 1 - broker\/scenarios\/auction\.json \(the cheaper bid wins at the deadline\): step 1: request "parcel to Leeds"\nok 2 - broker\/scenarios\/auction\.json \(the cheaper bid wins at the deadline\): step 2: advance 1m\n# pass 2\n# fail 0\n$/,
      show(run),
    );

    const typo = path.join(work, 'typo.json');
    await writeFile(
      typo,
      JSON.stringify(
        {
          steps: [
            {
              send: { performative: 'request', content: 'x' },
              expect: [{ performative: 'agree' }, { from: 'courier-z', contentIncludes: '1' }],
            },
          ],
        },
        null,
        2,
      ),
    );
    const refused = await caxton(['test', dir, '--name', 'broker', '--scenario', typo], { cwd: work, timeoutMs: 60_000 });
    assert.equal(refused.code, 2, show(refused));
    assert.match(refused.stderr, /typo\.json:12: step 1 expects a message of courier-z, which the scenario does not deploy/);
    assert.equal(refused.stdout, '', 'nothing run');
  });
});
