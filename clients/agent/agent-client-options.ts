import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Action, UpstreamResponse } from './action.ts';

/** How an AgentClient is set up, and the options and results of its calls (docs/agent-sdk.md). */
export interface AgentClientOptions {
  /** Gateway base URL, e.g. 'http://127.0.0.1:8080'. A path prefix is kept. */
  baseUrl: string | URL;
  agentId: string;
  /** The agent's Ed25519 or P-256 private key. */
  privateKey: KeyObject | JWK;
  /** `kid` for the assertion header; default the JWK's `kid`. */
  keyId?: string;
  fetch?: typeof fetch;
  /** Lifetime of each per-request assertion, seconds (at most 300). Default 60. */
  assertionLifetimeSec?: number;
  /** Per-request timeout, ms (long polls get their wait on top). Default 30 000. */
  requestTimeoutMs?: number;
  /** Largest response body read, bytes. Default 16 MiB. */
  maxResponseBytes?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /**
   * 'session' (default): open a session with one client assertion, then sign each request with
   * its key (HMAC, RFC 9421), renewing it before it expires or when the gateway no longer knows it.
   * 'assertion': a fresh signed client assertion on every request.
   */
  credential?: 'session' | 'assertion';
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends RequestOptions {
  /** 1-200 visible ASCII characters; retrying with the same key never creates a second action. */
  idempotencyKey: string;
}

export interface SubmitResult {
  action: Action;
  /** False when the gateway recognised the idempotency key and returned the existing action (200). */
  created: boolean;
  /** 201 (LOW, executed), 202 (waiting for humans), 200 (idempotent replay). */
  httpStatus: number;
}

export interface ProxyOptions extends SubmitOptions {
  headers?: Record<string, string>;
}

export type ProxyResult =
  /** LOW: the actuator's own response, relayed. */
  | { kind: 'response'; response: UpstreamResponse }
  /** Anything above LOW: the action is held; wait for it with waitForOutcome(). */
  | { kind: 'pending'; action: Action };

export interface WaitOptions extends RequestOptions {
  /** Give up after this long, ms (throws TIMEOUT with the last known action). Default 15 min. */
  timeoutMs?: number;
  /** 'poll' (long-poll GET ?wait=) or 'sse' (event stream). Default 'poll'. */
  mode?: 'poll' | 'sse';
  /** Called with each new status seen. */
  onUpdate?: (action: Action) => void;
}
