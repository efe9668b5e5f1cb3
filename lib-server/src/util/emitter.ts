/** A typed, synchronous event source with one kind of payload. */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** Call `listener` on every emit; returns the function that disconnects it. */
  connect(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call every listener with `value`; a throwing listener does not stop the others. */
  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        console.error('listener failed:', error);
      }
    }
  }
}
