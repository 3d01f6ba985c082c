// One error hierarchy for request-level failures, mapped to HTTP in one place (toErrorResponse).
// Per-line problems are values on the event (see event.ts `problems`), never exceptions.

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
  toJSON(): { error: string; code: string; status: number; details?: unknown } {
    return {
      error: this.message,
      code: this.code,
      status: this.status,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(400, 'bad_request', message, details);
  }
}
/** The challenge a 401 carries, as OpenFaaS's gateway sends it, so browsers and curl can ask for a password. */
export const BASIC_CHALLENGE = 'Basic realm="Restricted", charset="UTF-8"';

export class UnauthorizedError extends HttpError {
  constructor(message = 'authentication required', details?: unknown) {
    super(401, 'unauthorized', message, details);
  }
}
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}
export class MethodNotAllowedError extends HttpError {
  constructor(message: string) {
    super(405, 'method_not_allowed', message);
  }
}
export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `request body exceeds the limit of ${limitBytes} bytes`, { limitBytes });
  }
}
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}
export class TooBusyError extends HttpError {
  constructor(message = 'too many requests in flight') {
    super(429, 'too_busy', message);
  }
}
export class UpstreamError extends HttpError {
  constructor(message: string) {
    super(502, 'bad_gateway', message);
  }
}
export class NotReadyError extends HttpError {
  constructor(message = 'not ready') {
    super(503, 'not_ready', message);
  }
}
export class TimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(504, 'timeout', `request did not complete within ${timeoutMs} ms`, { timeoutMs });
  }
}

export function isHttpError(e: unknown): e is HttpError {
  return e instanceof HttpError;
}

/** JSON error response; unknown errors become a 500 whose body hides internals. */
export function toErrorResponse(e: unknown): Response {
  const err = isHttpError(e) ? e : new HttpError(500, 'internal', 'internal error');
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (err instanceof UnauthorizedError) headers['www-authenticate'] = BASIC_CHALLENGE;
  return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers });
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
