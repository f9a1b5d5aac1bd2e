import { jsonArray, jsonBoolean, jsonMemoFrozen, jsonNullable, jsonNumber, jsonObject, jsonString, type JsonWriter } from './canonical-json.ts';
import type { BlacklistProposal, CategoryResult, IndicatorResult, LeaderProposal, PointChange, Rating, VetoHit } from './engine.ts';

const strings = jsonArray(jsonString);
const nullableNumber = jsonNullable(jsonNumber);

const pointChange = jsonObject<PointChange>({
  reason: jsonString,
  points: jsonNumber,
  evidence: strings,
  escalation: jsonNullable(jsonObject<NonNullable<PointChange['escalation']>>({ reason: jsonString, ordinal: jsonNumber, multiplier: jsonNumber })),
  note: jsonNullable(jsonString),
});

const indicator = jsonMemoFrozen(jsonObject<IndicatorResult>({
  id: jsonString,
  title: jsonString,
  basis: jsonString,
  cap: nullableNumber,
  raw: jsonNumber,
  points: jsonNumber,
  changes: jsonArray(pointChange),
}));

const category = jsonObject<CategoryResult>({
  id: jsonString,
  title: jsonString,
  cap: nullableNumber,
  raw: jsonNumber,
  points: jsonNumber,
  indicators: jsonArray(indicator),
});

const vetoHit = jsonObject<VetoHit>({ id: jsonString, title: jsonString, forcesLevel: jsonString, evidence: strings });

const blacklistProposal = jsonObject<BlacklistProposal>({
  criterion: jsonString,
  cause: jsonString,
  minimumMonths: jsonNumber,
  automatic: jsonBoolean,
  evidence: strings,
});

const leaderProposal = jsonObject<LeaderProposal>({ action: jsonString, termMonths: nullableNumber, reasons: strings });

/** `canonicalJson(rating)`, written from the Rating's known shape (see jsonObject): the bytes a rating's hash is over. */
export const ratingJson: JsonWriter<Rating> = jsonObject<Rating>({
  ruleSet: jsonObject<Rating['ruleSet']>({ id: jsonString, version: jsonString, contentHash: jsonString }),
  creditCode: jsonString,
  period: jsonObject<Rating['period']>({ start: jsonString, end: jsonString }),
  asOf: jsonString,
  baseScore: jsonNumber,
  baseReason: jsonNullable(jsonString),
  deductionPoints: jsonNumber,
  bonusPoints: jsonNumber,
  score: jsonNumber,
  scoreLevel: jsonString,
  level: jsonString,
  vetoes: jsonArray(vetoHit),
  categories: jsonArray(category),
  bonuses: jsonObject<Rating['bonuses']>({ maxTotal: nullableNumber, raw: jsonNumber, points: jsonNumber, indicators: jsonArray(indicator) }),
  blacklist: jsonArray(blacklistProposal),
  leader: leaderProposal,
  reasons: strings,
  evidence: strings,
});
