/**
 * The idempotent producer, replaceable. Kafka deduplicates a re-sent batch by (producer id,
 * sequence number), which is what makes append retries safe — but only while the client's and the
 * broker's sequence numbers agree. After a lost response, or once a retry has to change the batch,
 * kafkajs can stay stuck on OUT_OF_ORDER_SEQUENCE_NUMBER forever (seen in the broker-restart test:
 * every append rejected for minutes). Then the only way forward is a fresh producer identity; a
 * record stored twice that way is dropped by the consumer by delivery id.
 */
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { KafkaLogStateError } from './errors.js';

const SEQUENCE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/** True if the error says our producer identity or sequence state is no longer usable. */
export function needsNewProducer(e: unknown): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [e];
  while (stack.length > 0) {
    const c = stack.pop();
    if (!c || typeof c !== 'object' || seen.has(c)) continue;
    seen.add(c);
    if (SEQUENCE_ERRORS.has(String((c as { type?: unknown }).type))) return true;
    stack.push((c as { cause?: unknown }).cause, ...((c as { errors?: unknown[] }).errors ?? []));
  }
  return false;
}

/**
 * One producer at a time, connected on first use. A producer whose connect was still in flight when
 * the slot was reset or closed is nobody's: it is disconnected as soon as its connect settles (left
 * alone it kept a broker socket and its request timer alive after the log closed, and the test
 * process with it), and a reset's sender goes on with a fresh one. After close() every send is refused.
 */
export class ProducerSlot {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private closed = false;

  constructor(private readonly create: () => Producer) {}

  connect(): Promise<Producer> {
    if (this.closed) return Promise.reject(new KafkaLogStateError('the Kafka message log is closed: its producer sends nothing more'));
    if (this.producer) return Promise.resolve(this.producer);
    if (!this.connecting) {
      const p = this.create();
      const attempt: Promise<Producer> = p.connect().then(
        async () => {
          if (this.connecting === attempt) {
            this.producer = p;
            return p;
          }
          // Reset or closed while connecting.
          await p.disconnect().catch(() => {});
          return this.connect();
        },
        async (e: unknown) => {
          if (this.connecting === attempt) this.connecting = undefined;
          await p.disconnect().catch(() => {});
          throw e;
        },
      );
      this.connecting = attempt;
    }
    return this.connecting;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const p = await this.connect();
    return p.send(record);
  }

  /** Drop the current producer; the next send connects a new one (new producer id). */
  async reset(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await old?.disconnect().catch(() => {});
  }

  /** Disconnect for good, a connect in flight included (awaited until its producer is disconnected). */
  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    await this.reset();
    await pending?.catch(() => {});
  }
}
