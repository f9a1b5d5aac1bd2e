import { builder } from '../graphql/builder.ts';
import { readPage, toConnection } from '../graphql/pagination.ts';
import { validationFailed } from '../errors.ts';
import { fromStored, type AuditRow } from './chain.ts';

const AuditOperationType = builder.enumType('AuditOperationType', {
  values: ['QUERY', 'MUTATION', 'SUBSCRIPTION'] as const,
});

const AuditStatus = builder.enumType('AuditStatus', {
  values: {
    OK: { description: 'No errors.' },
    PARTIAL: { description: 'Some data and some errors.' },
    ERROR: { description: 'Refused or failed; errorCode says why.' },
  },
});

const AuditEntryRef = builder.objectRef<AuditRow>('AuditEntry').implement({
  description:
    'One audited operation (every mutation, every operation by a bank, insurer or finance department), hash-chained to the one before it. ' +
    'Variables are recorded only as a digest. `envcredit audit verify` checks the chain.',
  authScopes: { bureauAdmin: true },
  fields: (t) => ({
    id: t.field({ type: 'String', resolve: (r) => String(r.id) }),
    at: t.field({ type: 'DateTime', resolve: (r) => r.at }),
    actor: t.exposeString('actor', { description: 'Token subject, or "anonymous".' }),
    role: t.exposeString('role', { nullable: true }),
    org: t.exposeString('org', { nullable: true }),
    operationType: t.field({ type: AuditOperationType, resolve: (r) => r.operationType.toUpperCase() as 'QUERY' }),
    operationName: t.exposeString('operationName', { nullable: true }),
    rootFields: t.exposeStringList('rootFields'),
    documentDigest: t.exposeString('documentDigest', { description: 'SHA-256 of the printed document.' }),
    variablesDigest: t.exposeString('variablesDigest', { description: 'SHA-256 of the canonical JSON of the variables.' }),
    status: t.field({ type: AuditStatus, resolve: (r) => r.status }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    requestId: t.exposeString('requestId'),
    prevHash: t.exposeString('prevHash'),
    hash: t.exposeString('hash'),
  }),
});

const AuditEntryConnection = builder.connectionObject({ type: AuditEntryRef, name: 'AuditEntryConnection' });

builder.queryField('auditLog', (t) =>
  t.field({
    type: AuditEntryConnection,
    description: 'The audit log, newest first (bureau_admin only).',
    authScopes: { bureauAdmin: true },
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      actor: t.arg.string({ description: 'Only this token subject.' }),
      org: t.arg.string({ description: 'Only this institution or bureau (token org).' }),
      operationType: t.arg({ type: AuditOperationType }),
      rootField: t.arg.string({ description: 'Only operations that selected this root field, e.g. creditCheck.' }),
    },
    resolve: async (_root, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'number');
      if (args.rootField !== null && args.rootField !== undefined && !/^[_A-Za-z][_0-9A-Za-z]{0,100}$/.test(args.rootField)) {
        throw validationFailed('rootField', 'must be a GraphQL field name', 'a name such as creditCheck');
      }
      let query = context.db.selectFrom('audit_log').selectAll();
      if (page.after !== null) query = query.where('id', '<', page.after);
      if (args.actor) query = query.where('actor', '=', args.actor);
      if (args.org) query = query.where('org', '=', args.org);
      if (args.operationType) query = query.where('operation_type', '=', args.operationType.toLowerCase() as 'query');
      if (args.rootField) query = query.where((eb) => eb(eb.val(args.rootField!), '=', eb.fn.any('root_fields')));
      const rows = await query.orderBy('id', 'desc').limit(page.limit + 1).execute();
      return toConnection(rows.map((row) => fromStored(row as never)), page, (r) => r.id);
    },
  }),
);
