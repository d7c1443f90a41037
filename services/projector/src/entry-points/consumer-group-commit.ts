/**
 * Group commit: chunks that partitions submit while a fetch's batches are being handled are
 * applied together, in one transaction, once the event loop has run what was ready (or once
 * they reach a chunk's size). Each submitter resumes when its chunk is stored, or fails with
 * the transaction. One transaction per fetch instead of one per partition is what keeps
 * publish-to-visible latency low when events are spread over many partitions.
 */
export class GroupCommit<T> {
  private gathered: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private gatheredMessages = 0;
  private flushScheduled = false;

  /**
   * @param limit messages that, once gathered, are applied without waiting for the event loop
   * @param sizeOf how many messages an item settles
   * @param apply stores the items together, all or none
   */
  constructor(
    private readonly limit: number,
    private readonly sizeOf: (item: T) => number,
    private readonly apply: (items: readonly T[]) => Promise<void>,
  ) {}

  /** Resolves once the item is stored with those gathered beside it. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gathered.push({ item, resolve, reject });
      this.gatheredMessages += this.sizeOf(item);
      if (this.gatheredMessages >= this.limit) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const entries = this.gathered;
    this.gathered = [];
    this.gatheredMessages = 0;
    if (entries.length === 0) return;
    this.apply(entries.map((entry) => entry.item)).then(
      () => entries.forEach((entry) => entry.resolve()),
      (error: unknown) => entries.forEach((entry) => entry.reject(error)),
    );
  }
}
