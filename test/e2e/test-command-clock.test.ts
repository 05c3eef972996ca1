/**
 * `caxton test`'s virtual clock, state expectations and JUnit output (decision 2030), as an author
 * runs them: the AssemblyScript timer counter copied outside the checkout. A 10 ms timer (the
 * node's shortest) does not fire by real time (the step after it takes longer: still 0), only when
 * the clock is advanced 10 ms; a 30 s timer does not fire while 29 s are advanced, fires on the last second, and
 * the state after the steps is what the scenario expects; a scenario whose reply and state are
 * wrong fails with what differed, as a JUnit testcase with its failure.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import { stopStragglers } from './support/processes.js';
import { tempDir } from './support/serve.js';

describe('caxton test: a virtual clock, expect.state and JUnit', () => {
  let work: string | undefined;
  after(async () => {
    await stopStragglers();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('fires a timer only when the scenario advances the clock, checks the state after, and reports a wrong scenario in JUnit', async () => {
    work = await tempDir('caxton-test-clock-');
    const dir = await copyExample('as-timer-counter', work, 'ticker');
    await mkdir(path.join(dir, 'scenarios'));
    const ask = (performative: string, content: string, expect: unknown) => ({ send: { performative, content }, expect });
    await writeFile(
      path.join(dir, 'scenarios', 'timer.json'),
      JSON.stringify(
        {
          description: 'a 30 s timer',
          steps: [
            // On a real clock this timer would fire before the next step's reply: on the virtual one it waits.
            ask('request', 'tick 10', { performative: 'agree' }),
            ask('query-ref', 'count', { performative: 'inform', content: '0' }),
            { advance: '10ms', expect: { from: 'ticker', performative: 'inform', content: '1' } },
            ask('request', 'tick 30000', { performative: 'agree' }),
            { advance: '29s' },
            ask('query-ref', 'count', { performative: 'inform', content: '1' }),
            { advance: '1s', expect: { from: 'ticker', performative: 'inform', content: '2' } },
            ask('query-ref', 'count', { content: '2' }),
          ],
          expect: { state: { count: '2', armed: '2', notes: null } },
        },
        null,
        2,
      ),
    );
    await writeFile(
      path.join(dir, 'scenarios', 'wrong.json'),
      JSON.stringify(
        {
          steps: [ask('request', 'tick 1000', { performative: 'agree' }), { advance: '1s' }, ask('query-ref', 'count', { content: '5' })],
          expect: { state: { count: '2' } },
        },
        null,
        2,
      ),
    );

    const run = await caxton(['test', dir, '--name', 'ticker', '--reporter', 'junit', '--timeout', '20'], { cwd: work, timeoutMs: 90_000 });
    assert.equal(run.code, 1, show(run));
    const xml = run.stdout;
    assert.match(
      xml,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="caxton test" tests="2" failures="1" errors="0" time="[\d.]+">\n {2}<testsuite name="ticker" tests="2" failures="1" /,
      xml,
    );
    assert.match(
      xml,
      /^ {4}<testcase name="ticker\/scenarios\/timer\.json \(a 30 s timer\)" classname="ticker" time="[\d.]+"\/>$/m,
      'the clock scenario passes',
    );
    const failure =
      /^ {4}<testcase name="ticker\/scenarios\/wrong\.json" classname="ticker" time="[\d.]+">\n {6}<failure message="([^"]*)" type="caxton.scenario">([^<]*)<\/failure>\n {4}<\/testcase>$/m.exec(
        xml,
      );
    assert.ok(failure, xml);
    assert.match(failure[1]!, /step 3: query-ref &quot;count&quot;: content: expected &quot;5&quot;, got &quot;1&quot;/);
    assert.match(failure[1]!, /expect\.state: state &quot;count&quot;: expected &quot;2&quot;, got &quot;1&quot;/);
    assert.match(failure[2]!, /at: &quot;ticker\/scenarios\/wrong\.json:15&quot;/, 'the failure names the line of the step');
    assert.match(xml, /<\/testsuite>\n<\/testsuites>\n$/);
  });
});
