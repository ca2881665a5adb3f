import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isJsonMediaType, isSettled, isTerminal, parseAction, upstreamResponse, type Action, type ActionRequest } from './action.ts';
import { AgentClientError } from './agent-client-error.ts';
import type { AgentClientOptions, ProxyOptions, ProxyResult, RequestOptions, SubmitOptions, SubmitResult, WaitOptions } from './agent-client-options.ts';
import { mintClientAssertion } from './client-assertion.ts';
import { loadAgentSigningKey, type AgentSigningKey } from './keys.ts';
import { errorFrom, parseProblem } from './problem-answer.ts';
import { signWithSession } from './session-signature.ts';
import { readEventStream } from './sse.ts';


interface Session {
  id: string;
  key: Buffer;
  expiresAt: number;
}

/** Renew this long before the gateway's expiry, so a request never arrives on an expired session. */
const SESSION_RENEW_MARGIN_MS = 60_000;
/** Refusals after which a new session is opened and the request sent once more (none was forwarded). */
const SESSION_GONE = new Set(['SESSION_UNKNOWN', 'SESSION_EXPIRED', 'SESSION_REVOKED']);

const IDEMPOTENCY_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;
const PROBLEM_TYPE_BASE = 'https://analog-firewall.dev/problems/';
const MAX_WAIT_SEC = 60;
/** How long before its deadline a long poll in waitForOutcome is asked to answer. */
const LONG_POLL_MARGIN_MS = 500;

/**
 * Client for the gateway's agent API (docs/agent-sdk.md). Every request carries a fresh client
 * assertion signed by the agent's key; errors are AgentClientError.
 */
export class AgentClient {
  readonly #base: URL;
  readonly #agentId: string;
  readonly #key: Promise<AgentSigningKey>;
  readonly #fetch: typeof fetch;
  readonly #lifetime: number;
  readonly #timeout: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #credential: 'session' | 'assertion';
  #session: Promise<Session> | undefined;

  constructor(options: AgentClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (e) {
      throw new AgentClientError('INVALID_ARGUMENT', 'baseUrl is not a URL', { cause: e });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new AgentClientError('INVALID_ARGUMENT', 'baseUrl must be http(s)');
    if (typeof options.agentId !== 'string' || options.agentId.length === 0) throw new AgentClientError('INVALID_ARGUMENT', 'agentId is required');
    base.search = '';
    base.hash = '';
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    this.#agentId = options.agentId;
    this.#key = loadAgentSigningKey(options.privateKey).then((k) => (options.keyId === undefined ? k : { ...k, kid: options.keyId }));
    this.#key.catch(() => {}); // surfaced on first request
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#lifetime = options.assertionLifetimeSec ?? 60;
    this.#timeout = options.requestTimeoutMs ?? 30_000;
    this.#maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
    this.#credential = options.credential ?? 'session';
  }

  /** POST /v1/actions */
  async submit(request: ActionRequest, options: SubmitOptions): Promise<SubmitResult> {
    checkIdempotencyKey(options.idempotencyKey);
    const res = await this.#send('POST', 'v1/actions', {
      signal: options.signal,
      headers: { 'content-type': 'application/json', 'idempotency-key': options.idempotencyKey },
      body: JSON.stringify(request),
    });
    if (res.status !== 200 && res.status !== 201 && res.status !== 202) throw await this.#error(res);
    const action = parseAction(await this.#json(res));
    return { action, created: res.status !== 200, httpStatus: res.status };
  }

  /** ANY /proxy/{actuator}{path}: the actuator's response for LOW, the held action otherwise. */
  async proxy(actuator: string, method: string, path: string, body: string | Uint8Array | object | undefined, options: ProxyOptions): Promise<ProxyResult> {
    checkIdempotencyKey(options.idempotencyKey);
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(method)) throw new AgentClientError('INVALID_ARGUMENT', 'method must be an HTTP method token');
    if (!path.startsWith('/')) throw new AgentClientError('INVALID_ARGUMENT', "path must start with '/'");
    if (actuator.length === 0) throw new AgentClientError('INVALID_ARGUMENT', 'actuator is required');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    let payload: string | Uint8Array | undefined;
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    headers['idempotency-key'] = options.idempotencyKey;
    const res = await this.#send(method.toUpperCase(), `proxy/${encodeURIComponent(actuator)}${path}`, { signal: options.signal, headers, body: payload });

    const bytes = await this.#bytes(res);
    const contentType = res.headers.get('content-type') ?? undefined;
    if (res.status === 202 && isJsonMediaType(contentType)) {
      const action = tryAction(bytes);
      if (action !== undefined) return { kind: 'pending', action };
    }
    if (res.status >= 400) {
      const problem = parseProblem(bytes, contentType, res.status);
      if (problem !== undefined && problem.type.startsWith(PROBLEM_TYPE_BASE)) throw errorFrom(res, problem);
    }
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => (resHeaders[k] = v));
    return { kind: 'response', response: upstreamResponse(res.status, resHeaders, bytes) };
  }

  /** GET /v1/actions/{id}; with `waitSec`, a long poll that returns when the status changes. */
  async get(id: string, options: RequestOptions & { waitSec?: number } = {}): Promise<Action> {
    checkId(id);
    const wait = options.waitSec === undefined ? undefined : Math.max(0, Math.min(MAX_WAIT_SEC, Math.floor(options.waitSec)));
    const path = `v1/actions/${encodeURIComponent(id)}${wait === undefined ? '' : `?wait=${wait}`}`;
    const res = await this.#send('GET', path, { signal: options.signal, extraTimeoutMs: (wait ?? 0) * 1000 });
    if (res.status !== 200) throw await this.#error(res);
    return parseAction(await this.#json(res));
  }

  /** GET /v1/actions/{id}/events: each status the action takes, until a terminal one. */
  async *events(id: string, options: RequestOptions = {}): AsyncGenerator<Action> {
    checkId(id);
    const res = await this.#send('GET', `v1/actions/${encodeURIComponent(id)}/events`, {
      signal: options.signal,
      headers: { accept: 'text/event-stream' },
      noTimeout: true,
    });
    if (res.status !== 200) throw await this.#error(res);
    const ct = res.headers.get('content-type') ?? '';
    if (!ct.toLowerCase().startsWith('text/event-stream') || res.body === null) {
      await res.body?.cancel().catch(() => {});
      throw new AgentClientError('INVALID_RESPONSE', `events endpoint answered ${ct || 'no content type'}, not text/event-stream`, { status: res.status });
    }
    try {
      for await (const e of readEventStream(res.body)) {
        if (e.event !== 'status') continue;
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch (err) {
          throw new AgentClientError('INVALID_RESPONSE', "'status' event data is not JSON", { cause: err });
        }
        const action = parseAction(data);
        yield action;
        if (isTerminal(action.status)) return;
      }
    } catch (e) {
      throw this.#transportError(e, options.signal);
    }
  }

  /**
   * Wait until the action is settled and return it: a terminal status (blocked, executed, failed,
   * vetoed, expired, refused), or `outcome_unknown` once the gateway stopped resending (no
   * `resendAt`): the request may have executed and waits for an admin's reconciliation. That is
   * its own outcome, not a failure: check `status`, and never submit such an action again. Survives transient failures (network, 429, 502-504) by retrying until
   * the deadline; throws TIMEOUT (with `action` = last known state) when the deadline passes.
   */
  async waitForOutcome(id: string, options: WaitOptions = {}): Promise<Action> {
    checkId(id);
    const deadline = this.#now() + (options.timeoutMs ?? 15 * 60_000);
    const deadlineSignal = AbortSignal.timeout(Math.max(0, deadline - this.#now()));
    const signal = options.signal ? AbortSignal.any([options.signal, deadlineSignal]) : deadlineSignal;
    let last: Action | undefined;
    let failures = 0;
    const seen = (a: Action): Action => {
      if (last === undefined || last.status !== a.status) options.onUpdate?.(a);
      last = a;
      return a;
    };
    const timeout = (cause?: unknown): AgentClientError =>
      new AgentClientError('TIMEOUT', `action '${id}' did not settle in time${last ? ` (last status ${last.status})` : ''}`, {
        action: last,
        cause,
      });

    for (;;) {
      if (options.signal?.aborted) throw new AgentClientError('ABORTED', 'waitForOutcome was aborted', { action: last, cause: options.signal.reason });
      const remainingMs = deadline - this.#now();
      if (remainingMs <= 0) throw timeout();
      try {
        if (options.mode === 'sse') {
          for await (const a of this.events(id, { signal })) {
            if (isSettled(seen(a))) return a;
          }
          // Stream ended early (server restart, proxy cut): look, then reconnect.
          const a = seen(await this.get(id, { signal }));
          if (isSettled(a)) return a;
        } else {
          // The long poll ends a margin before the deadline, so its answer arrives in time to be the
          // last known state; under a second left, a plain read (then a short pause) instead.
          const waitSec = Math.min(MAX_WAIT_SEC, Math.floor((remainingMs - LONG_POLL_MARGIN_MS) / 1000));
          const a = seen(await this.get(id, waitSec >= 1 ? { signal, waitSec } : { signal }));
          if (isSettled(a)) return a;
          if (waitSec < 1) await sleep(Math.min(250, Math.max(0, deadline - this.#now())), undefined, { signal }).catch(() => {});
        }
        failures = 0;
      } catch (e) {
        if (!(e instanceof AgentClientError)) throw e;
        if (options.signal?.aborted) throw new AgentClientError('ABORTED', 'waitForOutcome was aborted', { action: last, cause: e });
        if (e.code === 'TIMEOUT' || deadlineSignal.aborted) {
          if (this.#now() >= deadline || deadlineSignal.aborted) throw timeout(e);
        } else if (!e.transient) {
          throw e;
        }
        failures++;
        const backoff = e.retryAfterSec !== undefined ? e.retryAfterSec * 1000 : Math.min(10_000, 250 * 2 ** failures);
        try {
          await sleep(Math.min(backoff, Math.max(0, deadline - this.#now())), undefined, { signal });
        } catch {
          if (options.signal?.aborted) throw new AgentClientError('ABORTED', 'waitForOutcome was aborted', { action: last });
          throw timeout(e);
        }
        continue;
      }
      if (options.mode === 'sse') {
        try {
          await sleep(Math.min(500, Math.max(0, deadline - this.#now())), undefined, { signal });
        } catch {
          if (options.signal?.aborted) throw new AgentClientError('ABORTED', 'waitForOutcome was aborted', { action: last });
          throw timeout();
        }
      }
    }
  }

  #url(relative: string): URL {
    return new URL(relative, this.#base);
  }

  /** DELETE /v1/sessions/{id}: ends the current session, if any (the next request opens another). */
  async endSession(options: RequestOptions = {}): Promise<void> {
    const s = await this.#session?.catch(() => undefined);
    this.#session = undefined;
    if (s === undefined) return;
    const res = await this.#send('DELETE', `v1/sessions/${encodeURIComponent(s.id)}`, { signal: options.signal, credential: 'assertion' });
    if (res.status !== 200) throw await this.#error(res);
    await res.body?.cancel().catch(() => {});
  }

  async #openSession(signal: AbortSignal | undefined): Promise<Session> {
    const res = await this.#send('POST', 'v1/sessions', { signal, credential: 'assertion' });
    if (res.status !== 201) throw await this.#error(res);
    const v = (await this.#json(res)) as { sessionId?: unknown; key?: unknown; expiresAt?: unknown };
    if (typeof v.sessionId !== 'string' || typeof v.key !== 'string' || typeof v.expiresAt !== 'number') {
      throw new AgentClientError('INVALID_RESPONSE', 'the session answer lacks sessionId, key or expiresAt', { status: res.status });
    }
    return { id: v.sessionId, key: Buffer.from(v.key, 'base64url'), expiresAt: v.expiresAt };
  }

  async #currentSession(signal: AbortSignal | undefined): Promise<Session> {
    const current = this.#session;
    const held = await current?.catch(() => undefined);
    if (held !== undefined && held.expiresAt - SESSION_RENEW_MARGIN_MS > this.#now()) return held;
    // Only the first caller to find it stale opens the next one; the others wait for that.
    if (this.#session === current) {
      const opening = this.#openSession(signal);
      this.#session = opening;
      opening.catch(() => {
        if (this.#session === opening) this.#session = undefined;
      });
    }
    return this.#session!;
  }

  async #send(
    method: string,
    relative: string,
    opts: { signal?: AbortSignal; headers?: Record<string, string>; body?: string | Uint8Array; extraTimeoutMs?: number; noTimeout?: boolean; credential?: 'session' | 'assertion' },
  ): Promise<Response> {
    if ((opts.credential ?? this.#credential) === 'assertion') return this.#sendWithAssertion(method, relative, opts);
    const first = await this.#sendSigned(method, relative, opts);
    if (first.status !== 401) return first;
    const bytes = await this.#bytes(first);
    const problem = parseProblem(bytes, first.headers.get('content-type') ?? undefined, 401);
    if (problem?.code === undefined || !SESSION_GONE.has(problem.code)) return new Response(bytes, { status: 401, headers: first.headers });
    // The gateway refused before doing anything: a new session, and the same request once more.
    this.#session = undefined;
    return this.#sendSigned(method, relative, opts);
  }

  async #sendSigned(
    method: string,
    relative: string,
    opts: { signal?: AbortSignal; headers?: Record<string, string>; body?: string | Uint8Array; extraTimeoutMs?: number; noTimeout?: boolean },
  ): Promise<Response> {
    const s = await this.#currentSession(opts.signal);
    const url = this.#url(relative);
    const idempotencyKey = opts.headers?.['idempotency-key'] ?? randomUUID();
    const signed = signWithSession({ method, url: url.href, body: opts.body, idempotencyKey, sessionId: s.id, key: s.key, created: Math.floor(this.#now() / 1000) });
    return this.#fetchWith(url, method, { ...opts, headers: { ...opts.headers, 'idempotency-key': idempotencyKey, ...signed.headers } });
  }

  async #sendWithAssertion(
    method: string,
    relative: string,
    opts: { signal?: AbortSignal; headers?: Record<string, string>; body?: string | Uint8Array; extraTimeoutMs?: number; noTimeout?: boolean },
  ): Promise<Response> {
    const url = this.#url(relative);
    let key: AgentSigningKey;
    try {
      key = await this.#key;
    } catch (e) {
      throw e instanceof AgentClientError ? e : new AgentClientError('INVALID_ARGUMENT', 'agent private key is unusable', { cause: e });
    }
    const assertion = await mintClientAssertion(key, {
      agentId: this.#agentId,
      audience: this.#base.origin,
      method,
      url,
      nowSec: Math.floor(this.#now() / 1000),
      lifetimeSec: this.#lifetime,
    });
    return this.#fetchWith(url, method, { ...opts, headers: { ...opts.headers, authorization: `Bearer ${assertion}` } });
  }

  async #fetchWith(
    url: URL,
    method: string,
    opts: { signal?: AbortSignal; headers?: Record<string, string>; body?: string | Uint8Array; extraTimeoutMs?: number; noTimeout?: boolean },
  ): Promise<Response> {
    const signals: AbortSignal[] = [];
    if (opts.signal) signals.push(opts.signal);
    if (!opts.noTimeout) signals.push(AbortSignal.timeout(this.#timeout + (opts.extraTimeoutMs ?? 0)));
    try {
      return await this.#fetch(url, {
        method,
        headers: { accept: 'application/json, application/problem+json', ...opts.headers },
        body: opts.body,
        redirect: 'error',
        signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
      });
    } catch (e) {
      throw this.#transportError(e, opts.signal);
    }
  }

  #transportError(e: unknown, signal: AbortSignal | undefined): AgentClientError {
    if (e instanceof AgentClientError) return e;
    if (signal?.aborted) {
      const r = signal.reason as { name?: string } | undefined;
      return r?.name === 'TimeoutError' ? new AgentClientError('TIMEOUT', 'request timed out', { cause: e }) : new AgentClientError('ABORTED', 'request was aborted', { cause: e });
    }
    const name = (e as { name?: string } | undefined)?.name;
    if (name === 'TimeoutError') return new AgentClientError('TIMEOUT', 'request timed out', { cause: e });
    if (name === 'AbortError') return new AgentClientError('ABORTED', 'request was aborted', { cause: e });
    return new AgentClientError('NETWORK_ERROR', `could not reach the gateway: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }

  async #bytes(res: Response): Promise<Uint8Array> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.#maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new AgentClientError('INVALID_RESPONSE', `response of ${declared} bytes exceeds the ${this.#maxBytes}-byte limit`, { status: res.status });
    }
    if (res.body === null) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > this.#maxBytes) {
          await res.body.cancel().catch(() => {});
          throw new AgentClientError('INVALID_RESPONSE', `response exceeds the ${this.#maxBytes}-byte limit`, { status: res.status });
        }
        chunks.push(chunk);
      }
    } catch (e) {
      throw this.#transportError(e, undefined);
    }
    return new Uint8Array(Buffer.concat(chunks, size));
  }

  async #json(res: Response): Promise<unknown> {
    const bytes = await this.#bytes(res);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new AgentClientError('INVALID_RESPONSE', `gateway answered ${res.status} with a body that is not JSON`, { status: res.status, cause: e });
    }
  }

  async #error(res: Response): Promise<AgentClientError> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#bytes(res);
    } catch {
      bytes = new Uint8Array(0);
    }
    return errorFrom(res, parseProblem(bytes, res.headers.get('content-type') ?? undefined, res.status));
  }
}

function tryAction(bytes: Uint8Array): Action | undefined {
  try {
    const a = parseAction(JSON.parse(new TextDecoder().decode(bytes)));
    return a.links.self.endsWith(`/v1/actions/${encodeURIComponent(a.id)}`) || a.links.self.endsWith(`/v1/actions/${a.id}`) ? a : undefined;
  } catch {
    return undefined;
  }
}

function checkIdempotencyKey(key: string): void {
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new AgentClientError('INVALID_ARGUMENT', 'idempotencyKey must be 1-200 visible ASCII characters (inner spaces allowed)');
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new AgentClientError('INVALID_ARGUMENT', 'action id must be 1-200 characters');
}
