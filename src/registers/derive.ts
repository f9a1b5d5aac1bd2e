/**
 * Register state from register events: pure functions, no database. An enterprise's standing at an
 * instant is the fold of its events effective by then, in (effective_from, id) order, so any past
 * state can be derived again and no row is ever edited.
 *
 * Dates ('YYYY-MM-DD') are China calendar days (UTC+8, src/china-day.ts): a term is counted from the
 * day in Linjiang the listing took effect, and a term_end day begins at 00:00 Beijing.
 */

import { chinaDay } from '../china-day.ts';

export type BlacklistEventKind = 'LISTED' | 'EXTENDED' | 'REMOVED';
export type LeaderEventKind = 'LISTED' | 'EXTENDED' | 'REMOVED' | 'REVOKED';

export interface RegisterEventFact<K extends string> {
  id: number;
  event: K;
  causeCode: string;
  cause: string;
  effectiveFrom: Date;
  /** earliest_removal for the blacklist, term_end for leaders. */
  termDate: string | null;
}

export interface BlacklistState {
  listed: boolean;
  causeCode: string | null;
  cause: string | null;
  listedSince: Date | null;
  earliestRemoval: string | null;
  /** The LISTED event of the current listing. */
  listingEventId: number | null;
}

export interface LeaderState {
  leader: boolean;
  causeCode: string | null;
  cause: string | null;
  listedSince: Date | null;
  termEnd: string | null;
  listingEventId: number | null;
}

export const NOT_BLACKLISTED: BlacklistState = Object.freeze({
  listed: false,
  causeCode: null,
  cause: null,
  listedSince: null,
  earliestRemoval: null,
  listingEventId: null,
});

export const NOT_LEADER: LeaderState = Object.freeze({ leader: false, causeCode: null, cause: null, listedSince: null, termEnd: null, listingEventId: null });

const laterDate = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);

export function compareEvents(a: { effectiveFrom: Date; id: number }, b: { effectiveFrom: Date; id: number }): number {
  return a.effectiveFrom.getTime() - b.effectiveFrom.getTime() || a.id - b.id;
}

/**
 * The blacklist state after the events effective at or before `at`. A listing lasts until a REMOVED
 * event (credit repair or a bureau decision): the earliest removal date only opens repair, it does
 * not end the listing. A LISTED event while already listed extends like EXTENDED (never shortens).
 */
export function blacklistStateAt(events: readonly RegisterEventFact<BlacklistEventKind>[], at: Date): BlacklistState {
  let state: BlacklistState = NOT_BLACKLISTED;
  for (const e of [...events].sort(compareEvents)) {
    if (e.effectiveFrom.getTime() > at.getTime()) break;
    if (e.event === 'REMOVED') state = NOT_BLACKLISTED;
    else if (!state.listed && e.event === 'LISTED')
      state = { listed: true, causeCode: e.causeCode, cause: e.cause, listedSince: e.effectiveFrom, earliestRemoval: e.termDate, listingEventId: e.id };
    else if (state.listed) state = { ...state, earliestRemoval: laterDate(state.earliestRemoval, e.termDate) };
    // EXTENDED of an enterprise not listed changes nothing.
  }
  return state;
}

/**
 * The leader state after the events effective at or before `at`. A term ends by itself: on its
 * term_end day (from 00:00 Beijing) the enterprise is no longer a leader. REMOVED and REVOKED end it at once.
 */
export function leaderStateAt(events: readonly RegisterEventFact<LeaderEventKind>[], at: Date): LeaderState {
  let state: LeaderState = NOT_LEADER;
  const expired = (s: LeaderState, instant: Date) => s.leader && s.termEnd !== null && s.termEnd <= chinaDay(instant);
  for (const e of [...events].sort(compareEvents)) {
    if (e.effectiveFrom.getTime() > at.getTime()) break;
    if (expired(state, e.effectiveFrom)) state = NOT_LEADER;
    if (e.event === 'REMOVED' || e.event === 'REVOKED') state = NOT_LEADER;
    else if (!state.leader && e.event === 'LISTED')
      state = { leader: true, causeCode: e.causeCode, cause: e.cause, listedSince: e.effectiveFrom, termEnd: e.termDate, listingEventId: e.id };
    else if (state.leader) state = { ...state, termEnd: e.termDate ?? state.termEnd };
  }
  return expired(state, at) ? NOT_LEADER : state;
}
