import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { Signer } from '../../core/signer.ts';
import type { WebhookEndpoint, WebhookMessage, Webhooks } from '../../gateway/ports/webhooks.ts';
import { asymmetricWebhookSignature, symmetricWebhookSignature, webhookSecretKey } from './webhook-signature.ts';

/**
 * Standard Webhooks sender. `send()` returns at once and never throws: delivery runs in the
 * background with bounded retries (exponential backoff with jitter, Retry-After honoured), and its
 * outcome is reported through `done` and `onOutcome`. The message id stays the same across
 * attempts (receivers dedupe on it); the timestamp and signatures are fresh on each attempt.
 */

export type DeliveryFailure = 'gone' | 'exhausted' | 'dropped' | 'closed' | 'signing_failed' | 'invalid_endpoint' | 'invalid_message';

export interface DeliveryOutcome {
  id: string;
  url: string;
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last attempt, when there was a response. */
  status?: number;
  failure?: DeliveryFailure;
  /** Why the last attempt failed (no secrets, no bodies). */
  lastError?: string;
}

export interface WebhookSenderOptions {
  /** Needed for `v1a` signatures. */
  signer?: Signer;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Attempts per message, first included. Default 6. */
  maxAttempts?: number;
  /** First retry delay, ms; doubles per attempt. Default 5000. */
  baseDelayMs?: number;
  /** Longest delay between attempts, ms (Retry-After included). Default 300 000. */
  maxDelayMs?: number;
  /** Per-attempt timeout, ms. Default 15 000. */
  timeoutMs?: number;
  /** Messages in flight or waiting to retry; more are dropped. Default 1000. */
  maxPending?: number;
  /** [0, 1) for jitter. Default Math.random. */
  random?: () => number;
  onOutcome?: (outcome: DeliveryOutcome) => void;
  userAgent?: string;
}

export interface DeliveryHandle {
  id: string;
  /** Resolves with the outcome; never rejects. */
  done: Promise<DeliveryOutcome>;
}

export class WebhookSender implements Webhooks {
  readonly #o: Required<Omit<WebhookSenderOptions, 'signer' | 'onOutcome'>> & Pick<WebhookSenderOptions, 'signer' | 'onOutcome'>;
  readonly #closing = new AbortController();
  readonly #pending = new Set<Promise<DeliveryOutcome>>();

  constructor(options: WebhookSenderOptions = {}) {
    this.#o = {
      signer: options.signer,
      onOutcome: options.onOutcome,
      clock: options.clock ?? systemClock,
      fetch: options.fetch ?? globalThis.fetch,
      maxAttempts: Math.max(1, options.maxAttempts ?? 6),
      baseDelayMs: options.baseDelayMs ?? 5000,
      maxDelayMs: options.maxDelayMs ?? 300_000,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxPending: options.maxPending ?? 1000,
      random: options.random ?? Math.random,
      userAgent: options.userAgent ?? 'analog-firewall-webhooks/1',
    };
  }

  /** Messages in flight or waiting to retry. */
  get pending(): number {
    return this.#pending.size;
  }

  send(endpoint: WebhookEndpoint, message: WebhookMessage): DeliveryHandle {
    const id = message.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
    let done: Promise<DeliveryOutcome>;
    if (this.#closing.signal.aborted) {
      done = Promise.resolve(this.#report({ id, url: endpoint.url, delivered: false, attempts: 0, failure: 'closed' }));
    } else if (this.#pending.size >= this.#o.maxPending) {
      done = Promise.resolve(
        this.#report({ id, url: endpoint.url, delivered: false, attempts: 0, failure: 'dropped', lastError: `${this.#o.maxPending} deliveries already pending` }),
      );
    } else {
      done = this.#deliver(endpoint, id, message).then(
        (o) => this.#report(o),
        (e: unknown) => this.#report({ id, url: endpoint.url, delivered: false, attempts: 0, failure: 'exhausted', lastError: String(e) }),
      );
      this.#pending.add(done);
      void done.finally(() => this.#pending.delete(done));
    }
    return { id, done };
  }

  /** Stop retrying, abort attempts in flight, and wait for every pending outcome. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#pending]);
  }

  #report(outcome: DeliveryOutcome): DeliveryOutcome {
    try {
      this.#o.onOutcome?.(outcome);
    } catch {
      // A faulty observer must not break delivery bookkeeping.
    }
    return outcome;
  }

  async #deliver(endpoint: WebhookEndpoint, id: string, message: WebhookMessage): Promise<DeliveryOutcome> {
    const base = { id, url: endpoint.url };
    const asymmetric = endpoint.asymmetric ?? endpoint.secret === undefined;
    try {
      const url = new URL(endpoint.url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol}`);
      if (endpoint.secret !== undefined) webhookSecretKey(endpoint.secret);
      if (asymmetric && this.#o.signer === undefined) throw new Error('v1a signatures need a signer');
    } catch (e) {
      return { ...base, delivered: false, attempts: 0, failure: 'invalid_endpoint', lastError: (e as Error).message };
    }
    let body: string;
    try {
      if (!/^[\x21-\x2d\x2f-\x7e]{1,256}$/.test(id)) throw new Error("webhook id must be 1-256 visible ASCII characters without '.'");
      body = JSON.stringify({ type: message.type, timestamp: new Date(this.#o.clock.now()).toISOString(), data: message.data });
    } catch (e) {
      return { ...base, delivered: false, attempts: 0, failure: 'invalid_message', lastError: (e as Error).message };
    }

    let lastError = '';
    let status: number | undefined;
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      if (this.#closing.signal.aborted) return { ...base, delivered: false, attempts: attempt - 1, status, failure: 'closed', lastError };
      const timestamp = Math.floor(this.#o.clock.now() / 1000);
      const signatures: string[] = [];
      try {
        if (endpoint.secret !== undefined) signatures.push(symmetricWebhookSignature(endpoint.secret, id, timestamp, body));
        if (asymmetric) signatures.push(await asymmetricWebhookSignature(this.#o.signer!, id, timestamp, body));
      } catch (e) {
        return { ...base, delivered: false, attempts: attempt - 1, failure: 'signing_failed', lastError: (e as Error).message };
      }
      let retryAfterMs: number | undefined;
      try {
        const res = await this.#o.fetch(endpoint.url, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'user-agent': this.#o.userAgent,
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatures.join(' '),
          },
          body,
          signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#o.timeoutMs)]),
        });
        status = res.status;
        await res.body?.cancel().catch(() => {});
        if (res.status >= 200 && res.status < 300) return { ...base, delivered: true, attempts: attempt, status };
        if (res.status === 410) return { ...base, delivered: false, attempts: attempt, status, failure: 'gone', lastError: 'endpoint answered 410 Gone' };
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.#o.clock.now());
        lastError = `endpoint answered ${res.status}`;
      } catch (e) {
        status = undefined;
        lastError = `request failed: ${(e as Error).name}: ${(e as Error).message}`;
      }
      if (attempt === this.#o.maxAttempts) break;
      const backoff = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1));
      const jittered = backoff / 2 + (backoff / 2) * this.#o.random();
      const delay = Math.min(this.#o.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
      try {
        await sleep(delay, undefined, { signal: this.#closing.signal, ref: false });
      } catch {
        return { ...base, delivered: false, attempts: attempt, status, failure: 'closed', lastError };
      }
    }
    return { ...base, delivered: false, attempts: this.#o.maxAttempts, status, failure: 'exhausted', lastError };
  }
}

/** Retry-After as delay-seconds or HTTP-date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^[0-9]{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
