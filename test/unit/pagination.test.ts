import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, readPage } from '../../src/graphql/pagination.ts';

const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function refusal(read: () => unknown): Record<string, unknown> {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return { message: (error as GraphQLError).message, ...(error as GraphQLError).extensions };
  }
  throw new Error('expected the cursor to be refused');
}

describe('credit-code cursors (readPage string)', () => {
  it('reads the cursors the connections hand out', () => {
    expect(readPage({ first: 5, after: encodeCursor('91220681MA1000401X') }, 100, 'string')).toEqual({ limit: 5, after: '91220681MA1000401X' });
    expect(readPage({ after: encodeCursor('9') }, 100, 'string')).toEqual({ limit: 20, after: '9' });
    expect(readPage({}, 100, 'string')).toEqual({ limit: 20, after: null });
  });

  it.each([
    ['a NUL', 'c1:9\u0000'],
    ['a lower-case letter', 'c1:91220681ma'],
    ['a space', 'c1:9122 0681'],
    ['19 characters', `c1:${'9'.repeat(19)}`],
    ['a quote', "c1:9'"],
    ['non-ASCII', 'c1:九'],
    ['an empty key', 'c1:'],
    ['no prefix', '91220681MA1000401X'],
  ])('refuses a key with %s as VALIDATION_FAILED on after, as every other cursor error', (_what, text) => {
    const expected = refusal(() => decodeCursor(cursor('x'), 'number'));
    expect(refusal(() => readPage({ after: cursor(text) }, 100, 'string'))).toEqual(expected);
    expect(expected).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after', expected: 'an endCursor from a previous page' });
  });

  it('leaves other string keys to their connection (the watch feed parses its own)', () => {
    expect(decodeCursor(encodeCursor('123.45'), 'string')).toBe('123.45');
  });
});
