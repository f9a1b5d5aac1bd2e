import { describe, expect, it } from 'vitest';
import { generateChunks } from '../../src/import/generate.ts';

// The generator feeds the bench's import, which refuses evidence dated before its enterprise was
// registered (src/evidence/existence.ts): padding an enterprise up to its record count must not
// move a copy of an emission record to before that day.
describe('generated evidence', () => {
  it('pads every enterprise to its record count without dating an emission before the enterprise was registered', () => {
    let evidence = 0;
    let enterprises = 0;
    const early: string[] = [];
    for (const chunk of generateChunks({ enterprises: 2_000, recordsPerEnterprise: 20, seed: 20260101 })) {
      const registered = new Map(chunk.enterprises.map((e) => [String(e.creditCode), e.registeredOn ? String(e.registeredOn) : null]));
      enterprises += chunk.enterprises.length;
      for (const kind of ['violations', 'emissions', 'audits', 'disclosures', 'complaints', 'permit-reports'] as const) evidence += chunk[kind].length;
      for (const row of chunk.emissions) {
        const day = registered.get(String(row.creditCode));
        if (day && String(row.periodEnd) < day) early.push(`${String(row.sourceId)} ends ${String(row.periodEnd)}, registered ${day}`);
      }
    }
    expect(early).toEqual([]);
    expect(evidence).toBe(enterprises * 20);
  });
});
