import type { ActionRecord } from '../action-record.ts';

/** Status changes the outside world hears of (SSE, webhooks, metrics). */
export interface ActionEvents {
  changed(record: ActionRecord): void;
}
