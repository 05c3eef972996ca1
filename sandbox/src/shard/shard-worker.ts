/**
 * The shard worker: one in-thread Sandbox in a worker thread, driven by messages from the pool.
 * Requests are handled strictly in arrival order (a promise chain), so a deliver posted after a
 * deploy always sees the deployed agent. Before each work item it publishes its position in the
 * shared progress cells for the pool's watchdog.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Engine } from '../engine.js';
import { SandboxError } from '../errors.js';
import type { ErrorInfo } from '../results.js';
import { Sandbox } from '../sandbox.js';
import { RoutingEpoch } from '../host/unknown-receivers.js';
import { errorInfo } from '../traps.js';
import type { FromWorker, ShardInit, ToWorker } from './protocol.js';
import { PROGRESS } from './protocol.js';
import { decodeWork, encodeResults } from './hand-off-codec.js';
import { WideMessagesKept } from './wide-messages.js';

function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SandboxError) return errorInfo(err);
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: 'sandbox.shard.internal', message: e.message, context: { name: e.name } };
}

function main(port: NonNullable<typeof parentPort>, init: ShardInit): void {
  const engine = new Engine(init.engine);
  const sandbox = new Sandbox({ engine, routing: new RoutingEpoch(init.routing) });
  const progress = new Int32Array(init.progress);
  // Wide messages the bus sent once for all their batches (decision 2003); decoding happens in
  // arrival order (the chain below), which is the order the bus encoded in.
  const kept = new WideMessagesKept({ shard: init.shardId });

  const handle = async (msg: ToWorker): Promise<unknown> => {
    switch (msg.op) {
      case 'artifact':
        await engine.adopt(msg.manifest, msg.modules, msg.glueSource);
        return null;
      case 'deploy': {
        return msg.replace ? sandbox.upgrade(msg.spec) : sandbox.deploy(msg.spec, msg.carried);
      }
      case 'undeploy':
        return sandbox.undeploy(msg.name);
      case 'state':
        return sandbox.resetState(msg.name, msg.entries);
      case 'deliver': {
        Atomics.store(progress, PROGRESS.BATCH, msg.batchId);
        const work = decodeWork(msg.batch, kept);
        const results = sandbox.deliver(work, (i) => {
          Atomics.store(progress, PROGRESS.ITEM, i + 1);
          Atomics.add(progress, PROGRESS.SEQ, 1);
        });
        Atomics.store(progress, PROGRESS.ITEM, 0);
        // Results that answer their own item name it by index: the bus side holds the batch.
        return encodeResults(results, work);
      }
      case 'directory':
        sandbox.setDirectory(msg.snapshot);
        return null;
      case 'unknown-receiver':
        sandbox.noteUnknownReceiver(msg.name, msg.receiver, msg.epoch);
        return null;
      case 'metrics':
        return msg.names ? msg.names.map((n) => sandbox.metrics(n) ?? null) : sandbox.allMetrics();
    }
  };

  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    chain = chain.then(async () => {
      let reply: FromWorker;
      try {
        reply = { id: msg.id, ok: true, value: await handle(msg) };
      } catch (err) {
        reply = { id: msg.id, ok: false, error: toErrorInfo(err) };
      }
      port.postMessage(reply);
    });
  });
}

if (!isMainThread && parentPort && (workerData as ShardInit | undefined)?.kind === 'caxton-shard') {
  main(parentPort, workerData as ShardInit);
}
