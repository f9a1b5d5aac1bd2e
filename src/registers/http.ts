import type { ServerResponse } from 'node:http';
import { Router, type Response } from 'express';
import { chinaDay, endOfChinaDay } from '../china-day.ts';
import type { Clock } from '../clock.ts';
import type { Db, RegisterKind } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { allRegisterEntriesAt, type RegisterEntry } from './read.ts';
import { instantFromIso } from '../graphql/scalars.ts';
import { isIsoDate } from '../rules/dates.ts';

/**
 * Publication exports of the registers (for the city's credit platform and for Excel):
 *   GET /registers/blacklist.csv | blacklist.json | leaders.csv | leaders.json [?asOf=ISO-8601]
 * UTF-8; CSV starts with a BOM and a header row. Entries are read a page at a time and streamed,
 * so an export of any size holds one page in memory.
 */


function sendError(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
}

/**
 * `asOf` as an instant: an ISO date-time with offset, or a date — a China day, the bureau's (its end,
 * 23:59:59.999 Beijing), so the register "as of 1 March" holds what was listed on 1 March in Linjiang.
 */
export function parseAsOf(value: unknown, now: Date): Date | null {
  if (value === undefined) return now;
  if (typeof value !== 'string') return null;
  if (value.length === 10) return isIsoDate(value) ? endOfChinaDay(value) : null;
  // The GraphQL DateTime scalar's reading: a real day and time, never rolled over (31 February).
  return instantFromIso(value);
}

const COLUMNS: Record<RegisterKind, { header: string; value: (e: RegisterEntry) => string | null }[]> = {
  BLACKLIST: [
    { header: 'credit_code', value: (e) => e.creditCode },
    { header: 'enterprise_name', value: (e) => e.enterpriseName },
    { header: 'cause_code', value: (e) => e.causeCode },
    { header: 'cause', value: (e) => e.cause },
    { header: 'listed_since', value: (e) => e.listedSince.toISOString() },
    { header: 'earliest_removal', value: (e) => e.earliestRemoval },
  ],
  LEADER: [
    { header: 'credit_code', value: (e) => e.creditCode },
    { header: 'enterprise_name', value: (e) => e.enterpriseName },
    { header: 'cause_code', value: (e) => e.causeCode },
    { header: 'cause', value: (e) => e.cause },
    { header: 'listed_since', value: (e) => e.listedSince.toISOString() },
    { header: 'term_end', value: (e) => e.termEnd },
  ],
};

/** RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs a cell as a formula. */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const jsonEntry = (register: RegisterKind, e: RegisterEntry) => ({
  creditCode: e.creditCode,
  enterpriseName: e.enterpriseName,
  causeCode: e.causeCode,
  cause: e.cause,
  listedSince: e.listedSince.toISOString(),
  ...(register === 'BLACKLIST' ? { earliestRemoval: e.earliestRemoval } : { termEnd: e.termEnd }),
});

/**
 * Waits until the response takes more data; false when it closed first. A client that goes away
 * mid-export never drains its socket, so waiting for 'drain' alone would hang the export for ever,
 * holding its page of entries and its reader.
 */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', onDrain).off('close', onClose).off('error', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.once('drain', onDrain).once('close', onClose).once('error', onClose);
  });
}

/**
 * Streams a register export to the response; true when the whole file was written, false when the
 * client went away first. Stopping leaves the loop, which ends the entries' reader (its `return`), so
 * no further page is read.
 */
export async function writeExport(res: ServerResponse, register: RegisterKind, format: 'csv' | 'json', asOf: Date, entries: AsyncIterable<RegisterEntry>): Promise<boolean> {
  const columns = COLUMNS[register];
  let first = true;
  if (format === 'csv') res.write(`\uFEFF${columns.map((c) => c.header).join(',')}\r\n`);
  else res.write(`{"register":"${register}","asOf":"${asOf.toISOString()}","entries":[`);
  for await (const entry of entries) {
    if (res.destroyed) return false;
    const chunk = format === 'csv' ? `${columns.map((c) => csvCell(c.value(entry))).join(',')}\r\n` : `${first ? '' : ','}${JSON.stringify(jsonEntry(register, entry))}`;
    first = false;
    if (!res.write(chunk) && !(await drained(res))) return false;
  }
  res.end(format === 'csv' ? '' : ']}');
  return true;
}

export function registersRouter({ db, clock, logger }: { db: Db; clock: Clock; logger: Logger }): Router {
  const router = Router();
  const routes: [string, RegisterKind, 'csv' | 'json'][] = [
    ['/blacklist.csv', 'BLACKLIST', 'csv'],
    ['/blacklist.json', 'BLACKLIST', 'json'],
    ['/leaders.csv', 'LEADER', 'csv'],
    ['/leaders.json', 'LEADER', 'json'],
  ];
  for (const [path, register, format] of routes) {
    router.get(path, async (req, res) => {
      const asOf = parseAsOf(req.query.asOf, clock.now());
      if (!asOf) {
        sendError(res, 400, 'VALIDATION_FAILED', `asOf: ${JSON.stringify(req.query.asOf)} is not an ISO 8601 date or date-time`, {
          field: 'asOf',
          expected: 'YYYY-MM-DD or an ISO 8601 date-time with offset, e.g. 2026-01-31T00:00:00Z',
        });
        return;
      }
      const name = `${register === 'BLACKLIST' ? 'blacklist' : 'leaders'}-${chinaDay(asOf)}.${format}`;
      res.setHeader('content-disposition', `attachment; filename="${name}"`);
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-registers-as-of', asOf.toISOString());
      res.status(200).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      try {
        const finished = await writeExport(res, register, format, asOf, allRegisterEntriesAt(db, register, asOf));
        if (!finished) (req.log ?? logger).info({ register, format }, 'register export stopped: the client went away');
      } catch (error) {
        (req.log ?? logger).error({ err: error }, 'register export failed');
        // Headers are sent: cut the response so a client never takes a truncated file for a whole one.
        res.destroy(error as Error);
      }
    });
  }
  return router;
}
