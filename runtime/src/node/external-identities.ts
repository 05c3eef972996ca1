/**
 * Names that are not agents but may receive messages: the operator (CLI/API clients) and any sender
 * an API client used. Messages to them are shown on the tail rather than refused. Bounded (LRU) so
 * an API client inventing sender names cannot grow memory without limit.
 */
export class ExternalIdentities {
  private readonly names = new Map<string, true>();

  constructor(readonly operator: string, private readonly capacity = 1024) {
    this.remember(operator.split('@')[0]!);
  }

  remember(localName: string): void {
    this.names.delete(localName);
    this.names.set(localName, true);
    if (this.names.size > this.capacity) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined && oldest !== this.operator.split('@')[0]) this.names.delete(oldest);
    }
  }

  has(localName: string): boolean {
    return this.names.has(localName);
  }
}
