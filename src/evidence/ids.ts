import type { EvidenceKind } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { appError } from '../errors.ts';

/**
 * Evidence is identified as `<kind>:<row id>` (e.g. `violation:42`) everywhere: in GraphQL IDs,
 * in rating breakdowns and in register events, so a reader can follow one id across all of them.
 */
export const evidenceRef = (kind: EvidenceKind, id: number): string => `${kind}:${id}`;

export function parseEvidenceRef(value: string, field: string, expectedKind?: EvidenceKind): { kind: EvidenceKind; id: number } {
  const match = /^([a-zA-Z]+):(\d{1,15})$/.exec(value);
  const kind = match?.[1] as EvidenceKind | undefined;
  // Object.hasOwn: `in` would also accept the object's inherited names (constructor:1, valueOf:2).
  if (!match || !kind || !Object.hasOwn(EVIDENCE_TABLES, kind) || (expectedKind && kind !== expectedKind)) {
    throw appError('VALIDATION_FAILED', `${field}: ${JSON.stringify(value)} is not ${expectedKind ? `a ${expectedKind}` : 'an evidence'} id`, {
      field,
      expected: `${expectedKind ?? '<kind>'}:<number>, as returned in the record's id`,
    });
  }
  return { kind, id: Number(match[2]) };
}
