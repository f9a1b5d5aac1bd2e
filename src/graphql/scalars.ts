import { Kind } from 'graphql';
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

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw appError('VALIDATION_FAILED', `DateTime must be ISO 8601 with a time zone, e.g. 2026-01-31T00:00:00Z; got ${JSON.stringify(value)}`, {
      expected: 'ISO 8601 date-time with offset',
    });
  }
  return date;
}

builder.scalarType('Date', {
  description: 'A calendar date, YYYY-MM-DD (no time zone).',
  serialize: (value) => value,
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 with a time zone offset; always returned in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
