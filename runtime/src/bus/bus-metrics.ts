/**
 * Bus metrics (decision 1301). Dead letters and redeliveries come from the bus's events; the
 * message log's metrics are the log's (log/log-metrics.ts). Installed only when a MeterProvider is
 * registered (meters.ts).
 */
import type { Meter } from '@opentelemetry/api';
import type { BusEvents } from './events.js';

/**
 * Dead letters, deliveries handed to their agent again after a crash, state changes the log failed
 * to commit, and the mailbox capacity (the denominator of deploy/prometheus's saturation alert).
 */
export function installBusMetrics(
  meter: Meter,
  events: BusEvents,
  mailboxCapacity: number,
  breakersOpen: () => number = () => 0,
  absentQueued: () => number = () => 0,
  mailboxText: () => number = () => 0,
  mailboxTextLimit = 0,
): () => void {
  const deadLetters = meter.createCounter('caxton.bus.dead.letters', {
    description: 'Deliveries dead-lettered (crashed or refused maxAttempts times, an absent queue expired or over its bound, a stop)',
  });
  const redeliveries = meter.createCounter('caxton.bus.redeliveries', {
    description: 'Deliveries handed to their agent again after a crashed attempt',
  });
  const notCommitted = meter.createCounter('caxton.bus.commit.failures', {
    description: 'Handlings whose state changes the message log failed or refused to commit (handled again later)',
  });
  const capacity = meter.createObservableGauge('caxton.bus.mailbox.capacity', {
    description: "Deliveries one agent's mailbox holds before sends to it are refused",
  });
  const breakers = meter.createObservableGauge('caxton.bus.breakers.open', {
    description: 'Agents on this node whose circuit breaker is open or half-open: new sends to them are refused (decision 1921)',
  });
  const observeBreakers = (r: { observe(value: number): void }): void => r.observe(breakersOpen());
  breakers.addCallback(observeBreakers);
  const absent = meter.createObservableGauge('caxton.bus.absent.queued', {
    description: 'Messages waiting for absent agents (stopped with their queue kept, or suspended) on this node (decision 1990)',
  });
  const observeAbsent = (r: { observe(value: number): void }): void => r.observe(absentQueued());
  absent.addCallback(observeAbsent);
  const text = meter.createObservableGauge('caxton.bus.mailbox.text', {
    description:
      "Message text (UTF-16 code units) the node's mailboxes hold or are appending; sends are refused past serve --node-mailbox-text (decision 2195)",
  });
  const observeText = (r: { observe(value: number): void }): void => r.observe(mailboxText());
  text.addCallback(observeText);
  const textLimit = meter.createObservableGauge('caxton.bus.mailbox.text.limit', {
    description: "Message text the node's mailboxes may hold together (serve --node-mailbox-text): the denominator of their saturation",
  });
  const observeTextLimit = (r: { observe(value: number): void }): void => r.observe(mailboxTextLimit);
  textLimit.addCallback(observeTextLimit);
  // Created at zero: "no failures" is a visible 0 an alert's rate() can read, not an absent series.
  notCommitted.add(0);
  const observeCapacity = (r: { observe(value: number): void }): void => r.observe(mailboxCapacity);
  capacity.addCallback(observeCapacity);
  const off = events.on(
    (e) => {
      if (e.type === 'dead-lettered') deadLetters.add(1);
      else if (e.type === 'handled' && e.attempt > 1) redeliveries.add(1);
      else if (e.type === 'state-not-committed') notCommitted.add(1);
    },
    ['dead-lettered', 'handled', 'state-not-committed'],
  );
  return () => {
    off();
    capacity.removeCallback(observeCapacity);
    breakers.removeCallback(observeBreakers);
    absent.removeCallback(observeAbsent);
    text.removeCallback(observeText);
    textLimit.removeCallback(observeTextLimit);
  };
}
