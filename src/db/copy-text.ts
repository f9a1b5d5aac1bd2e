/**
 * PostgreSQL's COPY text format, written by hand: the bulk paths (import staging, a rating run's
 * ratings) send rows as tab-separated lines instead of bind parameters, which for wide rows costs
 * less on both sides of the connection.
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | readonly string[] | null;

/** One field: `\N` for null, arrays as quoted array literals, and backslash, tab, newline and CR escaped. */
export function copyText(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : arrayLiteral(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
}

/** A text[] as an array literal, every element quoted (also how bind parameters pass arrays to PGlite). */
export const arrayLiteral = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

export const copyLine = (values: readonly CopyValue[]): string => `${values.map(copyText).join('\t')}\n`;

/** Opens `COPY table (columns) FROM STDIN` on the client; `done` settles when the server has taken every row. */
export function openCopyIn(client: pg.PoolClient, table: string, columns: readonly string[]): { stream: NodeJS.WritableStream; done: Promise<void> } {
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)) as unknown as NodeJS.WritableStream;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  done.catch(() => {}); // surfaced to whoever awaits it
  return { stream, done };
}

/** Writes a chunk, waiting for the stream to drain (or fail) when the connection is behind. */
export async function writeChunk(copy: { stream: NodeJS.WritableStream; done: Promise<void> }, chunk: string | Uint8Array): Promise<void> {
  if (!copy.stream.write(chunk)) await Promise.race([once(copy.stream as never, 'drain'), copy.done]);
}
