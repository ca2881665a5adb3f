import { isJsonMediaType } from './action.ts';
import { AgentClientError, type Problem } from './agent-client-error.ts';

/** A gateway's error answer (RFC 9457 problem+json, Retry-After) read defensively into an AgentClientError. */
export function errorFrom(res: Response, problem: Problem | undefined): AgentClientError {
  const retryAfterSec = parseRetryAfterSec(res.headers.get('retry-after'));
  const code = problem?.code ?? (res.status === 429 ? 'RATE_LIMITED' : `HTTP_${res.status}`);
  const message = problem ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}` : `gateway answered HTTP ${res.status}`;
  return new AgentClientError(code, message, { status: res.status, problem, retryAfterSec });
}

export function parseProblem(bytes: Uint8Array, contentType: string | undefined, status: number): Problem | undefined {
  if (!isJsonMediaType(contentType) || bytes.length === 0 || bytes.length > 64 * 1024) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const p = v as Record<string, unknown>;
  const problem: Problem = {
    ...p,
    type: typeof p.type === 'string' ? p.type : 'about:blank',
    title: typeof p.title === 'string' ? p.title : `HTTP ${status}`,
    status: typeof p.status === 'number' ? p.status : status,
  };
  if (typeof p.detail !== 'string') delete problem.detail;
  if (typeof p.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(p.code)) problem.code = p.code;
  else delete problem.code;
  return problem;
}

function parseRetryAfterSec(v: string | null): number | undefined {
  if (v === null) return undefined;
  if (/^\s*[0-9]{1,9}\s*$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
