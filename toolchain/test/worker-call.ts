/**
 * Worker entry for tests that call into an agent which may never return (infinite loops): the
 * parent terminates the worker after a deadline. Posts 'instantiated', then 'returned' or 'threw'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankMessage, loadAgent, TestHost } from './harness.js';

interface Job {
  wasm: string;
  config: Array<[string, string]>;
  call: 'init' | 'handle' | 'on-timer';
}
const job = workerData as Job;
const factory = await loadAgent(job.wasm);
const guest = await factory.instantiate(new TestHost());
parentPort?.postMessage('instantiated');
try {
  guest.init({ self: { name: 'worker@test', addresses: [] }, config: job.config });
  if (job.call === 'handle') guest.handle(blankMessage('inform', { content: 'go' }));
  if (job.call === 'on-timer') guest.onTimer('t');
  parentPort?.postMessage('returned');
} catch (e) {
  parentPort?.postMessage(`threw: ${String((e as Error)?.message ?? e)}`);
}
