import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { FirewallError } from '../../core/errors.ts';
import { problemBody, TITLES } from './problem.ts';

/**
 * Requests Node's HTTP parser refuses before any route sees them (bad request line, oversized
 * headers, bad chunking, obs-fold, NUL, unsupported Expect) are answered as problem+json too,
 * with a precise code, instead of Node's bare `400 Bad Request`.
 */
export function parserErrorOf(err: NodeJS.ErrnoException): FirewallError {
  const code = err.code ?? '';
  const parser = { parserCode: code };
  const e = (c: string, status: number, message: string): FirewallError => new FirewallError(c, message, { status, cause: err, detail: parser });
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return e('HTTP_HEADERS_TOO_LARGE', 431, 'the request headers exceed the size limit');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return e('HTTP_REQUEST_TIMEOUT', 408, 'the request was not received in time');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return e('HTTP_CHUNK_EXTENSIONS_TOO_LARGE', 413, 'the chunk extensions exceed the size limit');
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_CONSTANT':
      return e('HTTP_REQUEST_LINE_INVALID', 400, 'the request line is not valid HTTP/1.1');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return e('HTTP_HEADER_INVALID', 400, 'a request header is not valid HTTP/1.1 (a folded line, a NUL or another forbidden character)');
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_EOF_STATE':
      return e('HTTP_FRAMING_INVALID', 400, 'the request body framing (Content-Length or chunked encoding) is not valid');
    default:
      return e('HTTP_REQUEST_MALFORMED', 400, 'the request is not valid HTTP/1.1');
  }
}

/** Writes a complete problem+json response on a socket the parser gave up on, then closes it. */
function answerOnSocket(socket: Duplex, err: FirewallError): void {
  const { status, json } = problemBody(err);
  const head = [`HTTP/1.1 ${status} ${TITLES[status] ?? 'Error'}`, 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(json)}`, 'Connection: close', '', ''].join('\r\n');
  socket.end(head + json);
}

/** Installs the handlers on a server: 'clientError' for parser failures, 'checkExpectation' for Expect values other than 100-continue. */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Nothing can be answered on a reset socket, or after a response has started on it (Node's own rule).
    const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    answerOnSocket(socket, parserErrorOf(err));
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const err = new FirewallError('EXPECTATION_UNSUPPORTED', `the gateway supports only 'Expect: 100-continue', not '${String(req.headers.expect).slice(0, 100)}'`, { status: 417 });
    const { status, json } = problemBody(err, req.url);
    res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(json), connection: 'close' }).end(json);
  });
}
