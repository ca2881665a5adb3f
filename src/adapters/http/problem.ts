import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { FirewallError } from '../../core/errors.ts';

export const PROBLEM_BASE = 'https://analog-firewall.dev/problems/';

function kebab(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

export const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The RFC 9457 body for an error: `code` is our stable string; `detail` is for humans. */
export function problemBody(err: FirewallError, instance?: string): { status: number; json: string } {
  const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
  const body: Record<string, unknown> = {
    type: PROBLEM_BASE + kebab(err.code),
    title: TITLES[status] ?? 'Error',
    status,
    detail: err.message,
    code: err.code,
    ...(instance === undefined ? {} : { instance }),
    ...(err.detail ?? {}),
  };
  return { status, json: JSON.stringify(body) };
}

/**
 * The headers a problem carries besides its type: Retry-After on 429 and on a 503 that says when
 * to try again (RFC 9110 §10.2.3: a refusal that fails closed, such as a replay cache that cannot
 * answer), the challenge on 401.
 */
function problemHeaders(res: ServerResponse, status: number, err: FirewallError): void {
  const retry = err.detail?.['retryAfterSeconds'];
  if ((status === 429 || status === 503) && typeof retry === 'number') res.setHeader('Retry-After', String(retry));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
}

/** RFC 9457 problem details. */
export function sendProblem(res: Response, err: FirewallError, instance?: string): void {
  const { status, json } = problemBody(err, instance);
  problemHeaders(res, status, err);
  res.status(status).type('application/problem+json').send(json);
}

/** The same problem on a plain node:http response (the proxy entrance runs without express). */
export function writeProblem(res: ServerResponse, err: FirewallError, instance?: string): void {
  const { status, json } = problemBody(err, instance);
  problemHeaders(res, status, err);
  writeBody(res, status, 'application/problem+json; charset=utf-8', json);
}

/** A complete answer on a plain node:http response. */
export function writeBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

/** Maps body-parser and other framework errors to precise problems; unknown errors to an opaque 500. */
export function toFirewallError(err: unknown): FirewallError {
  if (err instanceof FirewallError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  const status = e.status ?? e.statusCode;
  switch (e.type) {
    case 'entity.too.large':
      return new FirewallError('BODY_TOO_LARGE', 'the request body exceeds the size limit', { status: 413, cause: err });
    case 'entity.parse.failed':
      return new FirewallError('BODY_MALFORMED', 'the request body is not valid JSON', { status: 400, cause: err });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new FirewallError('BODY_ENCODING_UNSUPPORTED', 'the request body encoding is not supported', { status: 415, cause: err });
    case 'request.aborted':
      return new FirewallError('REQUEST_ABORTED', 'the client closed the request', { status: 400, cause: err });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new FirewallError('REQUEST_INVALID', 'the request could not be read', { status, cause: err });
  }
  return new FirewallError('INTERNAL', 'internal error; nothing was executed for this request', { status: 500, cause: err });
}

/** A failure of the gateway's own (5xx) is logged, by code and cause; the caller's mistakes are not. */
export function logServerError(log: { error: (o: object, m: string) => void }, fe: FirewallError, path: string): void {
  if (fe.status >= 500) log.error({ code: fe.code, path, err: (fe.cause as Error | undefined)?.message ?? fe.message }, 'request failed');
}

export function problemHandler(log: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const fe = toFirewallError(err);
    logServerError(log, fe, req.path);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, fe, req.originalUrl);
  };
}
