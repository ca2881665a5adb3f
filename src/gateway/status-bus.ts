import { EventEmitter } from 'node:events';
import type { ActionRecord } from './action-record.ts';
import type { ActionEvents } from './ports/action-events.ts';

/**
 * In-process fan-out of action status changes to long-polls, SSE streams and notifiers.
 * Listeners are told after the change is committed; they never gate it.
 */
export class StatusBus implements ActionEvents {
  readonly #em = new EventEmitter();
  readonly #observers: ((a: ActionRecord) => void)[] = [];

  constructor() {
    this.#em.setMaxListeners(0);
  }

  changed(record: ActionRecord): void {
    this.#em.emit(record.id, record);
    this.#em.emit('*', record);
    for (const o of this.#observers) {
      try {
        o(record);
      } catch {
        /* an observer's fault must not affect the action */
      }
    }
  }

  observe(fn: (a: ActionRecord) => void): void {
    this.#observers.push(fn);
  }

  /** Subscribe to one action ('*' for all); returns the unsubscribe function. */
  subscribe(id: string, fn: (a: ActionRecord) => void): () => void {
    this.#em.on(id, fn);
    return () => this.#em.off(id, fn);
  }
}
