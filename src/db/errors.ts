import { appError } from '../errors.ts';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

const isPgError = (error: unknown): error is PgError =>
  typeof error === 'object' && error !== null && typeof (error as PgError).code === 'string';

/** SQLSTATE of a driver error (pg or PGlite), if it has one. */
export const sqlState = (error: unknown): string | undefined => (isPgError(error) ? error.code : undefined);

export const isUniqueViolation = (error: unknown, constraint?: string) =>
  sqlState(error) === '23505' && (!constraint || (error as PgError).constraint === constraint);

const CONNECTION_STATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300']);
const CONNECTION_MESSAGES = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|timeout exceeded when trying to connect|Connection terminated|PGlite is closed/i;

/** True when the database cannot be reached (as opposed to a query being wrong). */
export function isUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state && CONNECTION_STATES.has(state)) return true;
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

export const serviceUnavailable = () =>
  appError('SERVICE_UNAVAILABLE', 'the database is unavailable; try again shortly');
