/**
 * How an authorised action reaches its actuator (adapters/upstream/forward-request.ts over
 * node:http(s) keep-alive pools). Never follows redirects: the receipt binds one exact request.
 *
 * Fails with UPSTREAM_TIMEOUT when the deadline passes, UPSTREAM_UNREACHABLE when no connection was
 * made (nothing was sent) and UPSTREAM_CONNECTION_LOST for a transport error after it was. Every
 * failure carries `detail.requestSent`: false only when no byte of the request can have reached the
 * actuator, the one case the dispatcher may treat as "certainly not executed".
 */
export type ForwardRequest = (url: URL, o: ForwardOptions) => Promise<ForwardResponse>;

export interface ForwardOptions {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The whole exchange, connect to last body byte. */
  timeoutMs: number;
  /** Bytes of the answer kept; the rest is read and dropped so the connection can be reused. */
  maxBodyBytes: number;
}

export interface ForwardResponse {
  status: number;
  /** Header names in lower case, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}
