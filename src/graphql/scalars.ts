import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { appError } from '../errors.ts';
import { isIsoDate } from '../rules/dates.ts';
import { builder } from './builder.ts';

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw appError('VALIDATION_FAILED', `Date must be a calendar date written YYYY-MM-DD; got ${JSON.stringify(value)}`, {
      expected: 'YYYY-MM-DD',
    });
  }
  return value;
}

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Every part of the text names a real calendar day and clock time. Date's parser rolls an
 * impossible day over (2026-02-31 becomes 3 March), so the parts are checked before it reads them.
 */
function isRealDateTime(match: RegExpExecArray): boolean {
  const [, date, hour, minute, second = '00', offsetHours = '00', offsetMinutes = '00'] = match;
  return isIsoDate(date!) && Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 59 && Number(offsetHours) <= 23 && Number(offsetMinutes) <= 59;
}

/** The instant an ISO 8601 date-time with offset names, or null if it names no real day and time. */
export function instantFromIso(value: string): Date | null {
  const match = ISO_DATE_TIME.exec(value);
  const date = match && isRealDateTime(match) ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' ? instantFromIso(value) : null;
  if (!date) {
    throw appError('VALIDATION_FAILED', `DateTime must be ISO 8601 with a time zone, naming a real day and time, e.g. 2026-01-31T00:00:00Z; got ${JSON.stringify(value)}`, {
      expected: 'ISO 8601 date-time with offset',
    });
  }
  return date;
}

/**
 * A literal's error points at the literal: the answer then says where it is, and src/security names
 * the argument it was given for (`field`). graphql-js passes a scalar's GraphQLError on unchanged.
 */
function atLiteral<T>(ast: ValueNode, parse: (value: unknown) => T): T {
  try {
    return parse(ast.kind === Kind.STRING ? ast.value : undefined);
  } catch (error) {
    if (error instanceof GraphQLError && !error.nodes) throw new GraphQLError(error.message, { nodes: ast, extensions: error.extensions });
    throw error;
  }
}

builder.scalarType('Date', {
  description: 'A calendar date, YYYY-MM-DD (no time zone).',
  serialize: (value) => value,
  parseValue: parseDate,
  parseLiteral: (ast) => atLiteral(ast, parseDate),
});

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 with a time zone offset; always returned in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (ast) => atLiteral(ast, parseDateTime),
});
