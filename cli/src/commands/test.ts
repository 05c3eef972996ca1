/**
 * `caxton test [dir]`: run the scenario files of an agent project against a node of its own, TAP
 * or JUnit output, non-zero exit on a failure (decisions 1930, 2030). This module is the command's flags only;
 * what it does is test-run.ts, imported when it runs.
 */
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { REPORTERS } from '../scenario/reporters.js';
import type { TestArgs } from './test-run.js';

export function testCommand(env: AppEnv): CommandModule<GlobalArgs, TestArgs> {
  return {
    command: 'test [dir]',
    describe:
      'Build the project and run its scenarios (scenarios/*.json: messages to send, replies and state expected, agents beside it, a virtual clock) on a node of its own; TAP or JUnit output, exit 1 on a failure',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'The agent project directory' })
        .option('scenario', {
          type: 'string',
          array: true,
          describe: 'Run these scenario files instead of <dir>/scenarios/*.json (repeatable)',
        })
        .option('name', { type: 'string', describe: "Agent name to deploy under; default: the project's artifact name" })
        .option('reporter', {
          type: 'string',
          choices: REPORTERS,
          default: 'tap',
          describe: 'tap: TAP 13, a line per step; junit: JUnit XML, a testcase per scenario',
        })
        .example('$0 test', 'every scenario of the project in this directory')
        .example('$0 test --reporter junit > caxton-test.xml', 'JUnit XML for a CI system')
        .example(
          '$0 test my-agent --scenario my-agent/scenarios/counts.json --timeout 5',
          'one scenario, 5 s for each reply',
        ) as unknown as Argv<TestArgs>,
    handler: localAction<TestArgs>(env, async (ctx, argv) => (await import('./test-run.js')).runTest(ctx, argv)),
  };
}
