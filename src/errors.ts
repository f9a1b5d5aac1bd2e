import { GraphQLError } from 'graphql';

/** The error codes clients can rely on, carried in `extensions.code`. */
export type ErrorCode =
  | 'INVALID_CREDIT_CODE'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SERVICE_UNAVAILABLE'
  /** Credit repair applied for before the listing's minimum term has passed (see `earliestDate`). */
  | 'REPAIR_NOT_YET_POSSIBLE';

export interface ErrorDetail {
  /** Path of the offending input, e.g. `input.decidedOn`. */
  field?: string;
  /** What a valid value looks like. */
  expected?: string;
  [key: string]: unknown;
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, SERVICE_UNAVAILABLE: 503 };

export function appError(code: ErrorCode, message: string, detail: ErrorDetail = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...detail, ...(status ? { http: { status } } : {}) },
  });
}

export const notFound = (what: string, field?: string) =>
  appError('NOT_FOUND', `${what} not found`, field ? { field } : {});

export const validationFailed = (field: string, message: string, expected?: string) =>
  appError('VALIDATION_FAILED', `${field}: ${message}`, { field, ...(expected ? { expected } : {}) });

export function errorCodeOf(error: unknown): ErrorCode | undefined {
  return error instanceof GraphQLError ? (error.extensions.code as ErrorCode | undefined) : undefined;
}
