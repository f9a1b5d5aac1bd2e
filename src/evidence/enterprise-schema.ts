import type { EnterpriseRow } from '../db/database.ts';
import { actorName } from '../auth/principal.ts';
import { chinaDay } from '../china-day.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { requestLoader } from '../graphql/loaders.ts';
import { readPage, toConnection } from '../graphql/pagination.ts';
import { organisationCodeWarning } from './credit-code.ts';
import { findEnterprise, findEnterprises, listEnterprises, registerEnterprise, reviseEnterprise, type EnterpriseDetails } from './enterprise-store.ts';
import { checkEnterpriseInput } from './evidence-rules.ts';
import { InputCheck, requireCreditCode } from './validate.ts';

export const EnterpriseRef = builder.objectRef<EnterpriseRow>('Enterprise');

/** Bureau staff and the enterprise itself; used for every non-public field of an enterprise. */
export const bureauOrSelf = (enterprise: { credit_code: string }) => ({ bureau: true, enterpriseSelf: enterprise.credit_code });

export function loadEnterprise(context: Context, code: string): Promise<EnterpriseRow | null> {
  return requestLoader<string, EnterpriseRow | null>(context, 'enterprise', async (codes) => {
    const rows = await findEnterprises(context.db, codes);
    const byCode = new Map(rows.map((row) => [row.credit_code, row]));
    return codes.map((c) => byCode.get(c) ?? null);
  }).load(code);
}

EnterpriseRef.implement({
  description: 'An enterprise under environmental supervision, keyed by its unified social credit code. Identity fields are public registration information.',
  authScopes: { public: true },
  fields: (t) => ({
    creditCode: t.exposeString('credit_code', { description: 'Unified social credit code (GB 32100-2015).' }),
    name: t.exposeString('name'),
    region: t.exposeString('region', { description: 'Township or street (乡镇/街道).' }),
    industry: t.exposeString('industry', { description: 'GB/T 4754 industry code.' }),
    keyDischargeUnit: t.exposeBoolean('key_discharge_unit', { description: 'Listed as a key pollutant discharge unit (重点排污单位).' }),
    permitNumber: t.exposeString('permit_number', { nullable: true, description: 'Pollutant discharge permit number.' }),
    registeredOn: t.expose('registered_on', { type: 'Date', nullable: true }),
    closedOn: t.expose('closed_on', { type: 'Date', nullable: true }),
    legalRepresentative: t.exposeString('legal_representative', {
      nullable: true,
      authScopes: (e) => ({ ...bureauOrSelf(e), institution: true }),
    }),
    revision: t.exposeInt('revision', { description: 'How many times the details were recorded (1 = as first registered).', authScopes: bureauOrSelf }),
    organisationCodeWarning: t.string({
      nullable: true,
      description: 'Set when positions 9-17 fail the GB 11714 check. Real registers hold a few such codes, so it is a warning only.',
      authScopes: (e) => bureauOrSelf(e),
      resolve: (e) => organisationCodeWarning(e.credit_code),
    }),
    recordedSince: t.expose('created_at', { type: 'DateTime', authScopes: bureauOrSelf }),
    updatedAt: t.expose('updated_at', { type: 'DateTime', authScopes: bureauOrSelf }),
  }),
});

const EnterpriseConnection = builder.connectionObject({ type: EnterpriseRef, name: 'EnterpriseConnection' });

builder.queryField('enterprise', (t) =>
  t.field({
    type: EnterpriseRef,
    nullable: true,
    description: 'One enterprise by credit code; null when it is not registered. Evidence fields need a bureau role or the enterprise itself.',
    authScopes: { public: true },
    args: { creditCode: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => loadEnterprise(context, requireCreditCode(args.creditCode, 'creditCode')),
  }),
);

builder.queryField('enterprises', (t) =>
  t.field({
    type: EnterpriseConnection,
    description: 'Registered enterprises in credit-code order, filtered by township and industry (a GB/T 4754 prefix: C = all manufacturing).',
    authScopes: { bureau: true },
    args: {
      first: t.arg.int({ description: 'Page size, 1 to MAX_PAGE_SIZE (default 20).' }),
      after: t.arg.string(),
      region: t.arg.string(),
      industry: t.arg.string(),
    },
    resolve: async (_root, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'string');
      const rows = await listEnterprises(context.db, { region: args.region, industry: args.industry?.toUpperCase() }, page);
      return toConnection(rows, page, (row) => row.credit_code);
    },
  }),
);

const EnterpriseDetailsFields = builder.inputType('EnterpriseInput', {
  description: 'An enterprise as registered. Only creditCode, name, region and industry are required.',
  fields: (t) => ({
    creditCode: t.string({ required: true }),
    name: t.string({ required: true }),
    region: t.string({ required: true, description: 'Township or street name (free text).' }),
    industry: t.string({ required: true, description: 'GB/T 4754 code: a section letter (C) or a finer class (C2011).' }),
    legalRepresentative: t.string(),
    keyDischargeUnit: t.boolean(),
    permitNumber: t.string(),
    registeredOn: t.field({ type: 'Date' }),
    closedOn: t.field({ type: 'Date' }),
    source: t.string({ description: 'Source system of this record (default: graphql).' }),
    sourceId: t.string({ description: 'Id of the record in its source system; makes re-sending idempotent.' }),
  }),
});

type EnterpriseInput = typeof EnterpriseDetailsFields.$inferInput;

function readEnterpriseInput(input: EnterpriseInput, now: Date): { code: string; details: EnterpriseDetails } {
  const code = requireCreditCode(input.creditCode, 'input.creditCode');
  const check = new InputCheck('input', chinaDay(now));
  const details = checkEnterpriseInput(input, check);
  check.done();
  return { code, details };
}

const EnterprisePayload = builder.objectRef<{ enterprise: EnterpriseRow; created: boolean }>('EnterprisePayload').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    enterprise: t.field({ type: EnterpriseRef, resolve: (p) => p.enterprise }),
    created: t.exposeBoolean('created', { description: 'False when the same record was already stored (an idempotent replay).' }),
  }),
});

builder.mutationField('registerEnterprise', (t) =>
  t.field({
    type: EnterprisePayload,
    description: 'Registers an enterprise. Sending the same details again returns the stored one; different details for a known code are a CONFLICT (use reviseEnterprise).',
    authScopes: { bureau: true },
    args: { input: t.arg({ type: EnterpriseDetailsFields, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { code, details } = readEnterpriseInput(input, context.clock.now());
      return registerEnterprise(context.db, code, details, {
        source: input.source ?? 'graphql',
        sourceId: input.sourceId ?? `${code}#registration`,
        recordedBy: actorName(context.principal!),
      });
    },
  }),
);

builder.mutationField('reviseEnterprise', (t) =>
  t.field({
    type: EnterprisePayload,
    description: 'Records changed details (new name, permit, closure) as a new revision; earlier revisions are kept.',
    authScopes: { bureau: true },
    args: { input: t.arg({ type: EnterpriseDetailsFields, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { code, details } = readEnterpriseInput(input, context.clock.now());
      const existing = await findEnterprise(context.db, code);
      return reviseEnterprise(context.db, code, details, {
        source: input.source ?? 'graphql',
        sourceId: input.sourceId ?? `${code}#revision-${(existing?.revision ?? 0) + 1}`,
        recordedBy: actorName(context.principal!),
      });
    },
  }),
);
