/**
 * A recorded run for replay's acceptance (issue 57), the same on one node and on a cluster: a
 * durable counter, a counter of timers, the contract net (a broker and two contractors) and an
 * agent that calls a real loopback HTTP service handle 10,000 deliveries between them, sent through
 * the node's API by a few concurrent senders as an operator's tools would. The test files replay
 * each agent from the log that recorded them (the embedded log, the cluster's Kafka topics).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { CaxtonClient } from '@caxton/runtime';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How much of each: 6,000 + 1,000 ticks + 250 × 8 for the contract net + 500 × 2 for HTTP = 10,000 deliveries. */
export interface RunShape {
  counted: number;
  ticks: number;
  parcels: number;
  calls: number;
}

export const TEN_THOUSAND_DELIVERIES: RunShape = { counted: 6000, ticks: 1000, parcels: 250, calls: 500 };

/** Deliveries the run makes: each parcel is a request, two calls, two answers, an accept and a reject, and an inform; each call a request and its answer. */
export function deliveriesOf(run: RunShape): number {
  return run.counted + run.ticks + run.parcels * 8 + run.calls * 2;
}

/** The agents, as the replay names them, with the handlings each one records at least. */
export function agentsOf(run: RunShape): { name: string; handlings: number }[] {
  return [
    { name: 'counter', handlings: run.counted },
    { name: 'ticker', handlings: 2 * run.ticks }, // each request and each firing
    { name: 'broker', handlings: run.parcels * 4 }, // the request, the two answers, the winner's inform (and its deadline's firing)
    { name: 'c1', handlings: run.parcels * 2 },
    { name: 'c2', handlings: run.parcels * 2 },
    { name: 'lookup', handlings: run.calls * 2 }, // each request and each answer from http@
  ];
}

function built(dir: string, file: string): Uint8Array {
  return readFileSync(path.join(ROOT, 'examples', dir, 'build', file));
}

/** A loopback service that answers a body upper-cased: what the HTTP-calling agent calls. */
export async function shoutService(): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body.toUpperCase());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Deploys the run's agents through `client`; the lookup agent may call `http://localhost:<port>/shout` only. */
export async function deployRun(client: CaxtonClient, port: number): Promise<void> {
  await client.deploy({ name: 'counter' }, built('as-state-counter', 'as-state-counter.wasm'));
  await client.deploy({ name: 'ticker' }, built('as-timer-counter', 'as-timer-counter.wasm'));
  const contractor = built('contract-net/as-contractor', 'cnet-contractor.wasm');
  for (const [name, price] of Object.entries({ c1: '40', c2: '25' })) await client.deploy({ name, config: { price } }, contractor);
  // A deadline no loaded machine reaches: every round gets both answers, so each makes 8 deliveries.
  await client.deploy(
    { name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '60000' } },
    built('contract-net/js-initiator', 'cnet-initiator.wasm'),
  );
  await client.deploy(
    {
      name: 'lookup',
      config: { 'service-url': `http://localhost:${port}/shout` },
      http: { timeoutMs: 20_000, allow: [{ host: 'localhost', ports: [port], allowPrivate: true }] },
    },
    built('js-http-agent', 'js-http-agent.wasm'),
  );
}

/** Sends the run's messages through `client`, `senders` at a time. */
export async function sendRun(client: CaxtonClient, run: RunShape, senders = 16): Promise<void> {
  const sends: (() => Promise<unknown>)[] = [];
  const send = (to: string, content: string, conversationId: string) => () =>
    client.send({ structured: { performative: 'request', receivers: [{ name: to }], content, conversationId } });
  for (let i = 0; i < run.counted; i++) sends.push(send('counter', '+1', `count-${i}`));
  for (let i = 0; i < run.ticks; i++) sends.push(send('ticker', 'tick 5', `tick-${i}`));
  for (let i = 0; i < run.parcels; i++) sends.push(send('broker', `parcel ${i}`, `parcel-${i}`));
  for (let i = 0; i < run.calls; i++) sends.push(send('lookup', `call ${i}`, `call-${i}`));
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < sends.length) await sends[next++]!();
    }),
  );
}

/**
 * Whether every handling of the run is done, as the nodes count them: the counters' state, and each
 * other agent's handled messages (summed over `clients`, one per node: each counts its own).
 */
export async function runDone(clients: readonly CaxtonClient[], run: RunShape): Promise<{ done: boolean; seen: string }> {
  const agents = (await Promise.all(clients.map((c) => c.listAgents()))).flat();
  const handled = (name: string): number => agents.filter((a) => a.name === name).reduce((n, a) => n + (a.messagesHandled ?? 0), 0);
  const count = await clients[0]!.getState('counter', 'count').catch(() => undefined);
  const ticks = await clients[0]!.getState('ticker', 'count').catch(() => undefined);
  const seen = `counter ${count?.value}, ticker ${ticks?.value}, broker ${handled('broker')}, c1 ${handled('c1')}, c2 ${handled('c2')}, lookup ${handled('lookup')}`;
  const done =
    count?.value === String(run.counted) &&
    ticks?.value === String(run.ticks) &&
    handled('broker') >= run.parcels * 4 &&
    handled('c1') >= run.parcels * 2 &&
    handled('c2') >= run.parcels * 2 &&
    handled('lookup') >= run.calls * 2;
  return { done, seen };
}

/** What `caxton replay --json` printed: the handlings reported (those that differ) and the summary. */
export interface ReplayOutput {
  differing: { differences: { what: string }[] }[];
  summary:
    | { recorded: number; replayed: number; diverged: number; crashed: number; unreplayable: number; history?: Record<string, unknown> }
    | undefined;
}

export function parseReplay(stdout: string): ReplayOutput {
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string });
  return {
    differing: (lines.filter((l) => l.type === 'handling') as unknown as ReplayOutput['differing']).filter((h) => h.differences.length > 0),
    summary: lines.find((l) => l.type === 'summary') as ReplayOutput['summary'],
  };
}
