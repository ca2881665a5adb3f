import { EventEmitter } from 'node:events';
import type { ActionRecord } from './action-record.ts';
import type { ActionEvents } from './ports/action-events.ts';
import type { StatusChange, StatusFeed } from './ports/status-feed.ts';

/** Where a change was made: in this replica, or in another one (heard through the feed). */
export type ChangeOrigin = 'local' | 'remote';

/**
 * How an observer follows other replicas' changes. Without one it hears only this replica's
 * (webhooks, metrics, issuing challenges: each change is acted on once, where it was made).
 */
export interface RemoteInterest {
  /** Does it want this change made by another replica (the bus then reads the action)? */
  follows(change: StatusChange): boolean;
  /** The actions it follows now: re-read after messages may have been lost. */
  followed(): Iterable<string>;
  /** Messages may have been lost: for what it cannot name by action (streams of every change). */
  gap?(): void;
}

interface Observer {
  fn: (a: ActionRecord, origin: ChangeOrigin) => void;
  interest: RemoteInterest | undefined;
}

/**
 * Fan-out of action status changes to long-polls, SSE streams and notifiers. Listeners are told
 * after the change is committed; they never gate it.
 *
 * With a feed (several replicas) each local change is also published, and other replicas'
 * changes are delivered here as 'remote' ones: only when someone here follows the action, and
 * then as read from the shared store (the message names the action; the store is the truth). When
 * the feed reports a gap, every followed action is read again, so a lost message delays a change
 * instead of losing it.
 */
export class StatusBus implements ActionEvents {
  readonly #em = new EventEmitter();
  readonly #observers: Observer[] = [];
  readonly #feed: StatusFeed | undefined;
  readonly #read: ((id: string) => Promise<ActionRecord | undefined>) | undefined;
  readonly #onError: (e: unknown, id: string) => void;
  /** Reads of remote changes in flight, by action: a change heard meanwhile reads once more after. */
  readonly #reading = new Map<string, { again: boolean }>();

  constructor(o: { feed?: StatusFeed; read?: (id: string) => Promise<ActionRecord | undefined>; onError?: (e: unknown, id: string) => void } = {}) {
    this.#em.setMaxListeners(0);
    this.#feed = o.feed;
    this.#read = o.read;
    this.#onError = o.onError ?? (() => {});
  }

  /** A change this replica committed. */
  changed(record: ActionRecord): void {
    this.#deliver(record, 'local');
    this.#feed?.publish({ id: record.id, status: record.status, tier: record.classification.tier });
  }

  /**
   * A state read from the store, told to this replica's listeners that follow other replicas'
   * changes (as a remote change: no webhook, no metric), e.g. when a stream opened just after a
   * change it would have missed.
   */
  refresh(record: ActionRecord): void {
    this.#deliver(record, 'remote');
  }

  /** `fn` hears this replica's changes, and other replicas' when `interest` says it follows them. */
  observe(fn: (a: ActionRecord, origin: ChangeOrigin) => void, interest?: RemoteInterest): void {
    this.#observers.push({ fn, interest });
  }

  /** Subscribe to one action ('*' for all), wherever it changes; returns the unsubscribe function. */
  subscribe(id: string, fn: (a: ActionRecord) => void): () => void {
    this.#em.on(id, fn);
    return () => this.#em.off(id, fn);
  }

  /** Starts hearing other replicas (no-op without a feed). */
  async start(): Promise<void> {
    if (this.#feed === undefined) return;
    await this.#feed.start({ change: (c) => this.#heard(c), gap: () => this.#gap() });
  }

  #deliver(record: ActionRecord, origin: ChangeOrigin): void {
    this.#em.emit(record.id, record);
    this.#em.emit('*', record);
    for (const o of this.#observers) {
      if (origin === 'remote' && o.interest === undefined) continue;
      try {
        o.fn(record, origin);
      } catch {
        /* an observer's fault must not affect the action */
      }
    }
  }

  #heard(c: StatusChange): void {
    if (this.#em.listenerCount(c.id) > 0 || this.#em.listenerCount('*') > 0 || this.#observers.some((o) => o.interest?.follows(c) === true)) this.#reread(c.id);
  }

  #gap(): void {
    const ids = new Set<string>();
    for (const name of this.#em.eventNames()) if (typeof name === 'string' && name !== '*') ids.add(name);
    for (const o of this.#observers) {
      if (o.interest === undefined) continue;
      for (const id of o.interest.followed()) ids.add(id);
      try {
        o.interest.gap?.();
      } catch {
        /* as above */
      }
    }
    for (const id of ids) this.#reread(id);
  }

  /** One read per action at a time, in order: a later read never delivers an older state after a newer one. */
  #reread(id: string): void {
    const read = this.#read;
    if (read === undefined) return;
    const inFlight = this.#reading.get(id);
    if (inFlight !== undefined) {
      inFlight.again = true;
      return;
    }
    const state = { again: false };
    this.#reading.set(id, state);
    void (async () => {
      do {
        state.again = false;
        try {
          const record = await read(id);
          if (record !== undefined) this.#deliver(record, 'remote');
        } catch (e) {
          this.#onError(e, id);
        }
      } while (state.again);
      this.#reading.delete(id);
    })();
  }
}
