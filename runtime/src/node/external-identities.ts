/**
 * Names that are not agents but may receive messages: the operator (CLI/API clients) and any sender
 * an API client used. Messages to them are shown on the tail rather than refused. Bounded (LRU) so
 * an API client inventing sender names cannot grow memory without limit.
 */
export class ExternalIdentities {
  private readonly names = new Map<string, true>();
  /** The operator is always known, and kept outside the LRU: evicting around it let the map grow. */
  private readonly operatorLocal: string;

  /** `onNew`: a name not known before was remembered (it routes now, decision 2123). */
  constructor(
    readonly operator: string,
    private readonly capacity = 1024,
    private readonly onNew?: () => void,
  ) {
    this.operatorLocal = operator.split('@')[0]!;
  }

  remember(localName: string): void {
    if (localName === this.operatorLocal) return;
    const known = this.names.delete(localName);
    this.names.set(localName, true);
    if (!known) this.onNew?.();
    if (this.names.size > this.capacity) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
  }

  has(localName: string): boolean {
    return localName === this.operatorLocal || this.names.has(localName);
  }
}
