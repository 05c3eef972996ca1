/**
 * A minimal listener set. A throwing listener must neither stop the others nor corrupt the caller
 * (a registry mid-commit), so its error is rethrown on a fresh task where it surfaces as an
 * uncaught exception: bugs in listeners stay loud, as with EventEmitter, without unwinding us.
 */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    // Wrap so the same function can be subscribed twice and unsubscribed independently.
    const entry = (value: T): void => listener(value);
    this.set.add(entry);
    return () => {
      this.set.delete(entry);
    };
  }

  emit(value: T): void {
    for (const l of [...this.set]) {
      try {
        l(value);
      } catch (err) {
        setImmediate(() => {
          throw err;
        });
      }
    }
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
