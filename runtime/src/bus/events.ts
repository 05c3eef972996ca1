/**
 * What the bus tells the world (tail streams, logs, metrics). Listeners must be cheap: they run on
 * the hot path. A listener that throws is removed rather than allowed to break routing.
 */
import type { AclMessage } from '../acl/message.js';
import type { AgentLogLine, ExecutionOutcome } from './executor.js';

export type BusEvent =
  | { type: 'accepted'; messageId: string; message: AclMessage; receivers: string[]; refused: { receiver: string; reason: string }[] }
  | { type: 'external'; messageId: string; to: string; message: AclMessage }
  | { type: 'handled'; agent: string; deliveryId: string; messageId: string; outcome: ExecutionOutcome; fuelUsed: number; attempt: number }
  /** Completion of these deliveries is durable: they will never be handed to their agent again. */
  | { type: 'completed'; deliveryIds: string[] }
  | { type: 'dead-lettered'; agent: string; deliveryId: string; reason: string; attempts: number }
  | { type: 'dropped'; message: AclMessage; reason: string }
  | { type: 'log'; agent: string; line: AgentLogLine };

export type BusListener = (event: BusEvent) => void;

export class BusEvents {
  private listeners = new Set<BusListener>();

  on(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: BusEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
