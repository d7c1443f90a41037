import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DeadLetterRow } from '@passerelle/coordination-view';
import { applyEvents } from '../domain/apply-events.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import type { StagedEntry } from './rebuild-stage.ts';
import type { ViewState } from './view-state.ts';

export interface FoldWindowOptions {
  /** Entries a window gathers before it is written: what bounds the rebuild's memory. */
  readonly maxEntries: number;
  /** Entries per `applyEvents` call inside a window. */
  readonly chunkSize: number;
  /** The processing time stamped on the rows (`processed_at`, `consumed_at`). */
  readonly now: number;
  /**
   * Writes a window's rows (detached from the state: `detachFolded`). Called while the next
   * window folds, one write at a time: PostgreSQL takes one window while Node folds the next.
   */
  readonly write: (rows: ViewState) => Promise<void>;
}

/**
 * Aggregates whose fold needs every earlier event of theirs in the state: a referral (its history
 * is refolded) and a service gap. An initiative keeps its progress on its catalogue row, which the
 * state never forgets, and a dead letter stands alone: both may be split between windows.
 */
const needsWholeGroup = (aggregate: string) => aggregate.startsWith('referral:') || aggregate.startsWith('gap:');

/**
 * Folds entries sorted by aggregate into a view state a window at a time: once a window holds
 * `maxEntries`, it is detached at the next aggregate boundary and written while the next one
 * folds, so at most two windows are held, each of at most `maxEntries` plus one aggregate's
 * events, however many entries come. A referral's or gap's events are never split between
 * windows (the fold of a late event reads the whole history).
 */
export class FoldWindow {
  private events: AcceptedEvent[] = [];
  private letters: DeadLetterRow[] = [];
  private current: string | undefined;
  private inWindow = 0;
  private folded = 0;
  private largest = 0;
  /** The window being written, if any. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: ViewState,
    private readonly options: FoldWindowOptions,
  ) {}

  /** Entries handed over so far. */
  get entries(): number {
    return this.folded;
  }

  /** The most entries one window held (at most maxEntries plus the largest aggregate). */
  get largestWindow(): number {
    return this.largest;
  }

  async add(entry: StagedEntry): Promise<void> {
    const boundary = entry.aggregate !== this.current || !needsWholeGroup(entry.aggregate);
    if (boundary && this.inWindow >= this.options.maxEntries) await this.flush();
    this.current = entry.aggregate;
    if (entry.event) this.events.push(entry.event);
    else this.letters.push(entry.deadLetter);
    this.inWindow++;
    this.folded++;
    this.largest = Math.max(this.largest, this.inWindow);
    if (this.events.length + this.letters.length >= this.options.chunkSize) await this.apply();
  }

  /** Folds and writes what is left; resolves once every window is written. */
  async end(): Promise<void> {
    await this.flush();
    await this.writing;
  }

  private async apply(): Promise<void> {
    if (this.events.length === 0 && this.letters.length === 0) return;
    const events = this.events;
    const letters = this.letters;
    this.events = [];
    this.letters = [];
    await applyEvents(this.state, events, letters, this.options.now);
    // The in-memory fold awaits only microtasks: a turn of the event loop lets the window being
    // written send its COPY data meanwhile, so PostgreSQL takes it while Node folds.
    await nextTurn();
  }

  private async flush(): Promise<void> {
    await this.apply();
    if (this.inWindow === 0) return;
    const rows = this.state.detachFolded();
    this.inWindow = 0;
    // One write at a time (they share the transaction's connection); a failed one fails the fold here.
    await this.writing;
    const writing = this.options.write(rows);
    writing.catch(() => undefined);
    this.writing = writing;
  }
}
