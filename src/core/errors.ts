/**
 * One error base class for the whole project. Callers branch on `code`, never on `message`.
 * `status` is the HTTP status the API maps the error to (RFC 9457 problem+json).
 */
export class FirewallError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options?: { status?: number; cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FirewallError';
    this.code = code;
    this.status = options?.status ?? 500;
    this.detail = options?.detail;
  }
}

export function isFirewallError(e: unknown, code?: string): e is FirewallError {
  return e instanceof FirewallError && (code === undefined || e.code === code);
}
