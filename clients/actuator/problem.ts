import type { Response } from 'express';
import { FirewallError } from '../../src/core/errors.ts';

/** Base of every problem `type` URI (docs/architecture.md). */
export const PROBLEM_TYPE_BASE = 'https://analog-firewall.dev/problems/';

/** RFC 9457 problem details, with our string `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

export function problemFor(err: FirewallError): ProblemDetails {
  const kebab = err.code.toLowerCase().replaceAll('_', '-');
  const words = err.code.toLowerCase().replaceAll('_', ' ');
  return {
    type: PROBLEM_TYPE_BASE + kebab,
    title: words.charAt(0).toUpperCase() + words.slice(1),
    status: err.status,
    detail: err.message,
    code: err.code,
  };
}

/** Render an error as application/problem+json. Anything not a FirewallError becomes a bare 500. */
export function sendProblem(res: Response, err: unknown): void {
  const fe = err instanceof FirewallError ? err : new FirewallError('INTERNAL', 'internal error while verifying the receipt', { status: 500 });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(fe.status);
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(problemFor(fe)));
}
