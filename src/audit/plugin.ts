import { getOperationAST, GraphQLError, Kind, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isInstitutionRole, type Principal } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { isUnavailable, serviceUnavailable } from '../db/errors.ts';
import type { Logger } from '../logger.ts';
import { appendAudit, canonicalJson, sha256, type AuditEntryInput } from './chain.ts';

/** Every mutation, whoever sends it, and every operation by an institution (each is a lookup about someone else). Public reads are not audited. */
export function isAudited(operationType: string, principal: Principal | null): boolean {
  return operationType === 'mutation' || (principal !== null && isInstitutionRole(principal.role));
}

/** The code a client will see for an error (before masking: an unexpected error becomes INTERNAL_SERVER_ERROR). */
export function errorCodeFor(error: unknown): string {
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    if (original instanceof GraphQLError) return errorCodeFor(original);
    if (original && !(original instanceof GraphQLError)) return isUnavailable(original) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
    const code = error.extensions?.code;
    return typeof code === 'string' ? code : 'GRAPHQL_ERROR';
  }
  return isUnavailable(error) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
}

function outcome(result: ExecutionResult): Pick<AuditEntryInput, 'status' | 'errorCode'> {
  const errors = result.errors ?? [];
  if (errors.length === 0) return { status: 'OK', errorCode: null };
  const data = result.data as Record<string, unknown> | null | undefined;
  const someData = data != null && Object.values(data).some((v) => v !== null);
  return { status: someData ? 'PARTIAL' : 'ERROR', errorCode: errorCodeFor(errors[0]) };
}

/**
 * SHA-256 of the variables' canonical JSON. Raw variables can nest far deeper than any declared type
 * allows (the request then fails coercion); past what JSON.stringify can walk, the digest is of a
 * marker instead, so the row is still written.
 */
export function variablesDigest(variables: unknown): string {
  try {
    return sha256(canonicalJson(variables ?? {}));
  } catch {
    return sha256('envcredit-audit: variables not serialisable (nested too deep)');
  }
}

function rootFieldsOf(document: DocumentNode, operationName: string | null | undefined): { type: AuditEntryInput['operationType']; name: string | null; fields: string[] } | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const fields: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection.name.value);
    else fields.push(selection.kind === Kind.FRAGMENT_SPREAD ? `...${selection.name.value}` : '...');
  }
  return { type: operation.operation, name: operation.name?.value ?? null, fields };
}

interface AuditContext {
  db: Db;
  principal: Principal | null;
  requestId: string;
  logger?: Logger;
}

/**
 * Appends to the audit chain once an audited operation's result is known (onExecuteDone), so the row
 * says how it ended. Variables are stored only as a digest (they name enterprises and carry evidence);
 * the document as a digest too, with the root field names in clear.
 *
 * If the append fails: an institution's query answers SERVICE_UNAVAILABLE instead of its data (no
 * lookup leaves the service unrecorded); a mutation has already committed, so its answer stands and
 * the failure is logged at error level with the request id.
 */
export function auditPlugin(options: { logger: Logger; now?: () => Date }): Plugin {
  const now = options.now ?? (() => new Date());
  return {
    onExecute({ args }) {
      const context = args.contextValue as unknown as AuditContext;
      const operation = rootFieldsOf(args.document, args.operationName);
      if (!operation || !isAudited(operation.type, context.principal ?? null)) return;
      return {
        async onExecuteDone({ result, setResult }) {
          if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          const principal = context.principal ?? null;
          const entry: AuditEntryInput = {
            at: now(),
            actor: principal?.subject ?? 'anonymous',
            role: principal?.role ?? null,
            org: principal?.org ?? null,
            operationType: operation.type,
            operationName: operation.name,
            rootFields: operation.fields,
            documentDigest: sha256(print(args.document)),
            variablesDigest: variablesDigest(args.variableValues),
            ...outcome(single),
            requestId: context.requestId || 'none',
          };
          try {
            await appendAudit(context.db, entry);
          } catch (error) {
            const logger = context.logger ?? options.logger;
            logger.error({ err: error, audit: { ...entry, at: entry.at.toISOString() } }, 'audit append failed');
            if (operation.type !== 'mutation') setResult({ errors: [serviceUnavailable()] });
          }
        },
      };
    },
  };
}
