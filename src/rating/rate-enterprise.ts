/**
 * Rating one enterprise, the pure step a run repeats: used by the main thread and by the rating
 * worker threads alike (it imports nothing that does I/O), so both write the same bytes.
 */
import { hash } from 'node:crypto';
import { evidenceAsOf } from '../evidence/as-of.ts';
import type { EvidenceSet } from '../evidence/evidence-set.ts';
import { evidenceSetJson } from '../evidence/evidence-json.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { evaluate, type Rating } from '../rules/engine.ts';
import { ratingJson } from '../rules/rating-json.ts';
import type { RatingPeriod } from './period.ts';
import type { NewRating } from './run-store.ts';

/** One-shot hashing (no Hash object per call): a run hashes two strings per enterprise. */
export const sha256 = (text: string | Uint8Array): string => `sha256:${hash('sha256', text, 'hex')}`;

/** One enterprise's rating as stored: the engine's canonical bytes plus what queries filter on. */
export function rateEnterprise(rules: CompiledRuleSet, evidence: EvidenceSet, period: RatingPeriod): { rating: Rating; row: Omit<NewRating, 'runId' | 'evidenceKnownAt'> } {
  const rating = evaluate(rules, evidence, { period: { start: period.start, end: period.end }, asOf: period.end });
  const result = ratingJson(rating); // = canonicalJson(rating), faster (test/unit/canonical-writers.test.ts)
  // Encoded once: hashed from these bytes, and a run's COPY sends them as they are (run-store.ts).
  const resultBytes = Buffer.from(result, 'utf8');
  return {
    rating,
    row: {
      creditCode: evidence.creditCode,
      score: rating.score,
      level: rating.level,
      vetoes: rating.vetoes.map((v) => v.id),
      result,
      resultBytes,
      resultHash: sha256(resultBytes),
      // Over what the rating could see: a record dated after its as-of date changes neither.
      evidenceFingerprint: sha256(evidenceSetJson(evidenceAsOf(evidence, period.end))), // = canonicalJson(…)
    },
  };
}

