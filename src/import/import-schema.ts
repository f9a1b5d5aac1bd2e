import { actorName } from '../auth/principal.ts';
import { appError } from '../errors.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { runImport, ImportRowLimitError, type ImportRejection, type ImportReport } from './importer.ts';
import { dynamicServicesOf } from '../rating/dynamic.ts';
import { adjustAfterImport, PendingAdjustmentsError } from '../rating/pending-adjustments.ts';
import { IMPORT_KINDS, type ImportKindName } from './kinds.ts';
import { checkDecodedText, fromString, ImportFileError, type ImportFormat } from './read-records.ts';

/**
 * `importEvidence`: the bulk import for moderate sizes (a spreadsheet export pasted or uploaded by a
 * clerk). Same validation, staging and single-transaction apply as `envcredit import`, so the
 * report is the same; bounded to GRAPHQL_IMPORT_MAX_ROWS records (and by MAX_REQUEST_BODY_BYTES).
 */
export const GRAPHQL_IMPORT_MAX_ROWS = 10_000;

const enumName = (kind: string) => kind.toUpperCase().replace(/-/g, '_');

const ImportKind = builder.enumType('ImportKind', {
  description: 'What an import file holds (see docs/IMPORT.md for the columns of each).',
  values: Object.fromEntries(IMPORT_KINDS.map((k) => [enumName(k), { value: k }])) as Record<string, { value: ImportKindName }>,
});

const ImportFormatEnum = builder.enumType('ImportFormat', {
  values: { CSV: { value: 'csv' as ImportFormat, description: 'Header row, UTF-8 (a byte-order mark is allowed).' }, NDJSON: { value: 'ndjson' as ImportFormat, description: 'One JSON object a line.' } },
});

const ImportRejectionRef = builder.objectRef<ImportRejection>('ImportRejection').implement({
  description: 'One problem with one record of an import file.',
  authScopes: { bureau: true },
  fields: (t) => ({
    line: t.exposeInt('line', { description: 'Line of the file where the record starts (the CSV header is line 1).' }),
    field: t.exposeString('field', { description: 'Input field name (camelCase), or (row) for the record as a whole.' }),
    reason: t.exposeString('reason'),
  }),
});

const ImportReportRef = builder.objectRef<ImportReport>('ImportReport').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    kind: t.field({ type: ImportKind, resolve: (r) => r.kind }),
    format: t.field({ type: ImportFormatEnum, resolve: (r) => r.format }),
    dryRun: t.exposeBoolean('dryRun', { description: 'Nothing was written; the counts say what an import would do.' }),
    rows: t.exposeInt('rows', { description: 'Records read.' }),
    applied: t.exposeInt('applied', { description: 'Records stored (in a dry run: that would be stored).' }),
    unchanged: t.exposeInt('unchanged', { description: 'Valid records already stored with the same content (re-imports), or repeated in the file.' }),
    rejected: t.exposeInt('rejected', { description: 'Records refused; each has entries in rejections.' }),
    conflicts: t.exposeInt('conflicts', { description: 'Refused because their source key is already stored with different content.' }),
    enterprisesCreated: t.int({ nullable: true, resolve: (r) => r.enterprisesCreated ?? null }),
    dynamicAdjustments: t.int({
      nullable: true,
      description:
        'Violations only: how many of the stored violations re-rated their enterprise at once (a one-vote veto or a dynamic indicator), as recordViolation does. Null in a dry run, and when the adjustments could not be made after the import committed: they stay pending and are made at the next start-up of the service, the next envcredit import or the next import that stores violations.',
      resolve: (r) => r.dynamicAdjustments ?? null,
    }),
    rejections: t.field({ type: [ImportRejectionRef], resolve: (r) => r.rejections }),
  }),
});

builder.mutationField('importEvidence', (t) =>
  t.field({
    type: ImportReportRef,
    description: `Imports a CSV or NDJSON file of one kind in one transaction: every valid record or none (see docs/IMPORT.md). Idempotent on source + sourceId. Up to ${GRAPHQL_IMPORT_MAX_ROWS} records; larger files go through \`envcredit import\`.`,
    authScopes: { bureau: true },
    args: {
      kind: t.arg({ type: ImportKind, required: true }),
      format: t.arg({ type: ImportFormatEnum, required: true }),
      content: t.arg.string({ required: true, description: 'The file content (UTF-8 text).' }),
      dryRun: t.arg.boolean({ defaultValue: false, description: 'Validate and report without writing anything.' }),
    },
    resolve: async (_root, args, context) => {
      try {
        checkDecodedText(args.content);
        const adjusting = dynamicServicesOf(context);
        let pendingId: number | undefined;
        const report = await runImport({ db: context.db }, fromString(args.content), {
          kind: args.kind,
          format: args.format,
          actor: actorName(context.principal!),
          dryRun: args.dryRun ?? false,
          maxRows: GRAPHQL_IMPORT_MAX_ROWS,
          now: context.clock.now(),
          adjustments: { actor: adjusting.actor, recorded: (id) => (pendingId = id) },
        });
        if (args.kind !== 'violations' || report.dryRun) return report;
        return { ...report, dynamicAdjustments: pendingId === undefined ? 0 : await adjustmentsOwed(context, pendingId) };
      } catch (error) {
        if (error instanceof ImportFileError) throw appError('VALIDATION_FAILED', `content: ${error.message}`, { field: 'content' });
        if (error instanceof ImportRowLimitError) {
          throw appError('VALIDATION_FAILED', `content: ${error.message}`, { field: 'content', expected: `at most ${GRAPHQL_IMPORT_MAX_ROWS} records` });
        }
        throw error;
      }
    },
  }),
);

/**
 * Committed now: violations that hit a veto re-rate their enterprise at once, as recorded one by one.
 * The import stands whether or not they can be made now, so a failure is logged and answered with
 * null (they stay pending, src/rating/pending-adjustments.ts), not with an error that would read as
 * if nothing had been stored.
 */
async function adjustmentsOwed(context: Context, pendingId: number): Promise<number | undefined> {
  try {
    return await adjustAfterImport({ ...dynamicServicesOf(context), appliedBy: `importEvidence (${actorName(context.principal!)})` }, pendingId);
  } catch (error) {
    // Whatever failed (the adjustments, or the database while taking the applier's lock), the import
    // is committed and its adjustments stay pending.
    const cause = error instanceof PendingAdjustmentsError ? error.cause : error;
    context.logger.error({ err: cause, pendingAdjustments: pendingId }, 'the import was committed, but its dynamic adjustments could not be made now; they stay pending');
    return undefined;
  }
}
