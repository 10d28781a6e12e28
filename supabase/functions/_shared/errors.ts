// Error answers of the API: always `{ success: false, error: CODE, message, …extra }` with the
// status from ERROR_STATUS (contract §3).
import { ERROR_STATUS, type ErrorCode } from './schema.ts';

export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** An error the client caused (or may fix); thrown by handlers, answered by `errorResponse`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
  body(): Record<string, unknown> {
    return { success: false, error: this.code, message: this.message, ...this.extra };
  }
}

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

export function errorResponse(error: ApiError): Response {
  return new Response(JSON.stringify(error.body()), {
    status: error.status,
    headers: { ...JSON_HEADERS, ...error.headers },
  });
}

export const notFound = (message: string) => new ApiError('NOT_FOUND', message);
export const badRequest = (message: string) => new ApiError('BAD_REQUEST', message);

/** The one answer for "no such plan" and "not your plan", so nothing leaks (contract §3). */
export const planNotFound = () =>
  notFound(
    'No plan with this planId exists for your account. Check the planId, or list your plans.',
  );

export const INTERNAL_MESSAGE =
  'Something went wrong on the server. Try again; if it keeps happening, report it.';
