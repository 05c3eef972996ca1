/**
 * The set-up the KafkaMessageLog tests share: one broker per suite (startTestKafka: the run's, or
 * one started for the suite), logs on it that are all closed after the suite's last test, and then
 * the broker stopped (when the suite started it).
 */
import { after, before } from 'node:test';
import type { Delivery } from '@caxton/core';
import { KafkaMessageLog, type KafkaMessageLogOptions } from '../../../../src/log/kafka/index.js';
import { startTestKafka, type TestKafka } from './broker.js';

/** A log's options but the brokers, which are the suite's. */
export type LogOptions = Omit<KafkaMessageLogOptions, 'brokers'>;

export interface KafkaLogs {
  /** The broker's bootstrap address, `host:port` (only once `before` ran: read it inside a test or hook). */
  readonly bootstrap: string;
  /** A log on the suite's broker, not opened yet; closed after the suite. */
  log(options: LogOptions): KafkaMessageLog;
  /** A log opened on the suite's broker, what it consumes kept in `got` (`consume` false: not consuming yet). */
  node(options: LogOptions, consume?: boolean): Promise<{ log: KafkaMessageLog; got: Delivery[] }>;
}

/** Call in a suite's body (or a file's top level): it registers that suite's `before` and `after` hooks. */
export function useKafkaLogs(): KafkaLogs {
  let kafka: TestKafka | undefined;
  const open: KafkaMessageLog[] = [];
  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await Promise.allSettled(open.map((l) => l.close()));
    await kafka?.stop();
  });
  const logs: KafkaLogs = {
    get bootstrap(): string {
      if (kafka === undefined) throw new Error('the broker is started in the before hook useKafkaLogs registered: read it from a test');
      return kafka.bootstrap;
    },
    log(options) {
      const log = new KafkaMessageLog({ brokers: [logs.bootstrap], ...options });
      open.push(log);
      return log;
    },
    async node(options, consume = true) {
      const log = logs.log(options);
      await log.open();
      const got: Delivery[] = [];
      if (consume) log.consume((batch) => got.push(...batch));
      return { log, got };
    },
  };
  return logs;
}
