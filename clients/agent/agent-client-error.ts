import type { Action } from './action.ts';

/** RFC 9457 problem details as the gateway sends them, with its string `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  [extension: string]: unknown;
}

/**
 * The one error the SDK throws. Branch on `code`:
 *  - the gateway's problem `code` (e.g. 'UNAUTHENTICATED', 'RATE_LIMITED', 'IDEMPOTENCY_KEY_REUSED')
 *    when it answered with problem+json; `status` and `problem` are set;
 *  - `HTTP_<status>` when it answered an error without problem details;
 *  - 'NETWORK_ERROR', 'TIMEOUT', 'ABORTED', 'INVALID_RESPONSE', 'INVALID_ARGUMENT' from the SDK
 *    itself (`status` 0).
 */
export class AgentClientError extends Error {
  readonly code: string;
  /** HTTP status, 0 when there was no (usable) response. */
  readonly status: number;
  readonly problem: Problem | undefined;
  /** From Retry-After, seconds (429, 503). */
  readonly retryAfterSec: number | undefined;
  /** Last known state of the action (TIMEOUT in waitForOutcome). */
  readonly action: Action | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; problem?: Problem; retryAfterSec?: number; action?: Action; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentClientError';
    this.code = code;
    this.status = options.status ?? 0;
    this.problem = options.problem;
    this.retryAfterSec = options.retryAfterSec;
    this.action = options.action;
  }

  /** Worth retrying later with the same idempotency key. */
  get transient(): boolean {
    return this.code === 'NETWORK_ERROR' || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}
