/** Where "now" comes from for legal deadlines (publicity periods, effective dates, as-of defaults). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
