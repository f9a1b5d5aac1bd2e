import type { GraphQLError } from 'graphql';
import { appError, validationFailed } from '../errors.ts';

/** Forward keyset pagination shared by every connection: `first` bounded, `after` opaque. */
export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

export interface Page<K> {
  limit: number;
  after: K | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export const DEFAULT_PAGE_SIZE = 20;

export function pageSize(first: number | null | undefined, max: number): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw validationFailed('first', `must be between 1 and ${max}; got ${first}`, `an integer from 1 to ${max}`);
  }
  return first;
}

export function encodeCursor(key: string | number): string {
  return Buffer.from(`c1:${key}`, 'utf8').toString('base64url');
}

/** What every connection answers for an `after` it did not issue (tampered, or naming no row). */
export function notACursor(): GraphQLError {
  return appError('VALIDATION_FAILED', 'after: not a cursor this connection issued', {
    field: 'after',
    expected: 'an endCursor from a previous page',
  });
}

/**
 * Keys of string-keyed connections (readPage's 'string'): every one of them is in credit-code order.
 * Checked here because the key goes straight into SQL: a NUL, or bytes that are not UTF-8, would
 * otherwise fail inside PostgreSQL as an unexpected error.
 */
const CREDIT_CODE_KEY = /^[0-9A-Z]{1,18}$/;

/**
 * The key inside a cursor. 'string' keys are only required to be non-empty: a caller with its own
 * key format (the watch feed's change keys) parses the key itself; see readPage for credit codes.
 */
export function decodeCursor(cursor: string, kind: 'string' | 'number'): string | number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const key = text.startsWith('c1:') ? text.slice(3) : null;
  if (key === null || key.length === 0 || (kind === 'number' && !/^\d{1,15}$/.test(key))) throw notACursor();
  return kind === 'number' ? Number(key) : key;
}

/** `after` of a credit-code-keyed connection: a cursor whose key could be a credit code (or a prefix of one). */
function decodeCreditCodeCursor(cursor: string): string {
  const key = decodeCursor(cursor, 'string') as string;
  if (!CREDIT_CODE_KEY.test(key)) throw notACursor();
  return key;
}

/** `first` and `after` of a connection; 'string' connections are keyed by credit code, 'number' by id. */
export function readPage(args: PageArgs, max: number, kind: 'number'): Page<number>;
export function readPage(args: PageArgs, max: number, kind: 'string'): Page<string>;
export function readPage(args: PageArgs, max: number, kind: 'string' | 'number'): Page<string | number> {
  const limit = pageSize(args.first, max);
  if (!args.after) return { limit, after: null };
  return { limit, after: kind === 'number' ? decodeCursor(args.after, 'number') : decodeCreditCodeCursor(args.after) };
}

/** Builds a connection from up to `limit + 1` rows fetched in key order. */
export function toConnection<T>(rows: T[], page: Page<unknown>, keyOf: (row: T) => string | number): Connection<T> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.limit,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
