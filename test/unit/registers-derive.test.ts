import { describe, expect, it } from 'vitest';
import { blacklistStateAt, leaderStateAt, type RegisterEventFact } from '../../src/registers/derive.ts';

const at = (iso: string) => new Date(iso);
let id = 0;
const ev = <K extends string>(event: K, from: string, termDate: string | null, causeCode = 'C'): RegisterEventFact<K> => ({
  id: ++id, event, causeCode, cause: `cause ${causeCode}`, effectiveFrom: at(from), termDate,
});

describe('blacklist state from events', () => {
  const events = [
    ev('LISTED', '2026-01-10T02:00:00Z', '2027-01-10', 'BL_SERIOUS_DISHONESTY'),
    ev('EXTENDED', '2026-03-01T00:00:00Z', '2027-03-01', 'BL_BLACK_LEVEL'),
    ev('LISTED', '2026-04-01T00:00:00Z', '2026-10-01', 'BL_REPEATED_RED'),
    ev('REMOVED', '2027-03-05T00:00:00Z', null, 'CREDIT_REPAIR'),
  ];
  it('is not listed before the first event', () => {
    expect(blacklistStateAt(events, at('2026-01-10T01:59:59Z')).listed).toBe(false);
  });
  it('keeps the first cause and never shortens the earliest removal', () => {
    expect(blacklistStateAt(events, at('2026-05-01T00:00:00Z'))).toMatchObject({
      listed: true, causeCode: 'BL_SERIOUS_DISHONESTY', listedSince: at('2026-01-10T02:00:00Z'), earliestRemoval: '2027-03-01', listingEventId: events[0]!.id,
    });
  });
  it('stays listed past the earliest removal until a REMOVED event, and is gone after it', () => {
    expect(blacklistStateAt(events, at('2027-03-04T00:00:00Z')).listed).toBe(true);
    expect(blacklistStateAt(events, at('2027-03-05T00:00:00Z'))).toMatchObject({ listed: false, causeCode: null, earliestRemoval: null });
  });
  it('does not depend on the order events are given in', () => {
    expect(blacklistStateAt([...events].reverse(), at('2026-05-01T00:00:00Z'))).toEqual(blacklistStateAt(events, at('2026-05-01T00:00:00Z')));
  });
  it('an EXTENDED without a listing changes nothing; a new LISTED after removal starts afresh', () => {
    const again = [...events, ev('EXTENDED', '2027-04-01T00:00:00Z', '2028-04-01'), ev('LISTED', '2027-05-01T00:00:00Z', '2027-11-01', 'X')];
    expect(blacklistStateAt(again, at('2027-04-15T00:00:00Z')).listed).toBe(false);
    expect(blacklistStateAt(again, at('2027-06-01T00:00:00Z'))).toMatchObject({ listed: true, causeCode: 'X', earliestRemoval: '2027-11-01', listedSince: at('2027-05-01T00:00:00Z') });
  });
});

describe('leader state from events', () => {
  it('a term ends by itself on its term_end day', () => {
    const events = [ev('LISTED', '2026-01-01T00:00:00+08:00', '2029-01-01', 'LEADER_NOMINATION')];
    expect(leaderStateAt(events, at('2028-12-31T23:59:59+08:00'))).toMatchObject({ leader: true, termEnd: '2029-01-01' });
    expect(leaderStateAt(events, at('2029-01-01T00:00:00+08:00')).leader).toBe(false);
  });
  it('the term_end day is a China day: the term ends at 00:00 Beijing, 16:00 UTC the day before', () => {
    const events = [ev('LISTED', '2026-03-01T02:00:00+08:00', '2029-03-01', 'LEADER_NOMINATION')];
    expect(leaderStateAt(events, at('2029-02-28T15:59:59.999Z')).leader).toBe(true);
    expect(leaderStateAt(events, at('2029-02-28T16:00:00Z')).leader).toBe(false);
  });
  it('a term that ended at 00:00 Beijing is not renewed by an extension later that night', () => {
    // 03:00 Beijing on the term_end day is still the day before in UTC: the term has ended all the same.
    const events = [ev('LISTED', '2026-03-01T02:00:00+08:00', '2029-03-01'), ev('EXTENDED', '2029-03-01T03:00:00+08:00', '2032-03-01')];
    expect(leaderStateAt(events, at('2029-03-02T00:00:00+08:00')).leader).toBe(false);
  });
  it('EXTENDED moves the term end; REVOKED ends it at once', () => {
    const events = [ev('LISTED', '2026-01-01T00:00:00Z', '2029-01-01'), ev('EXTENDED', '2028-06-01T00:00:00Z', '2031-06-01'), ev('REVOKED', '2030-02-01T00:00:00Z', null)];
    expect(leaderStateAt(events, at('2029-06-01T00:00:00Z'))).toMatchObject({ leader: true, termEnd: '2031-06-01' });
    expect(leaderStateAt(events, at('2030-02-01T00:00:00Z')).leader).toBe(false);
  });
  it('an EXTENDED after the term ran out does not revive the leader', () => {
    const events = [ev('LISTED', '2026-01-01T00:00:00Z', '2027-01-01'), ev('EXTENDED', '2027-02-01T00:00:00Z', '2030-02-01')];
    expect(leaderStateAt(events, at('2027-03-01T00:00:00Z')).leader).toBe(false);
  });
});
