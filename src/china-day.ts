/**
 * China calendar days (China Standard Time, UTC+8): the bureau's calendar, in which records are dated,
 * register terms run and `asOf` days are meant. China keeps no daylight saving time, so a fixed offset
 * is exact (and does not depend on the server's time zone or its tz database).
 */

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** 'YYYY-MM-DD' of an instant in China. */
export const chinaDay = (at: Date): string => new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/** 'YYYY-MM-DD HH:MM' of an instant in China. */
export const chinaDateTime = (at: Date): string => new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');

/** The first instant of a China day: 00:00 Beijing, 16:00 UTC the day before. */
export const startOfChinaDay = (day: string): Date => new Date(Date.parse(`${day}T00:00:00.000+08:00`));

/** The last instant of a China day (23:59:59.999 Beijing). */
export const endOfChinaDay = (day: string): Date => new Date(Date.parse(`${day}T23:59:59.999+08:00`));
