import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { isInstitutionRole } from '../auth/principal.ts';
import { appError } from '../errors.ts';
import type { Context } from './context.ts';

/**
 * The one Pothos builder. Authorization scopes (least privilege, see docs/SECURITY.md):
 * - `public`: anyone, no token (published registers, levels, rules);
 * - `authenticated`: any valid token;
 * - `bureau`: bureau_admin or bureau_officer; `bureauAdmin`: bureau_admin only;
 * - `institution`: bank, insurer or finance;
 * - `enterpriseSelf: code`: the enterprise role acting for that one credit code.
 */
export interface AuthScopes {
  public: boolean;
  authenticated: boolean;
  bureau: boolean;
  bureauAdmin: boolean;
  institution: boolean;
  enterpriseSelf: string;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (context) => {
      const role = context.principal?.role;
      return {
        public: true,
        authenticated: context.principal !== null,
        bureau: role === 'bureau_admin' || role === 'bureau_officer',
        bureauAdmin: role === 'bureau_admin',
        institution: role !== undefined && isInstitutionRole(role),
        enterpriseSelf: (creditCode: string) =>
          role === 'enterprise' && context.principal?.creditCode === creditCode,
      };
    },
    unauthorizedError: (_parent, context, info) =>
      context.principal
        ? appError('FORBIDDEN', `${context.principal.role} may not read or change ${info.parentType.name}.${info.fieldName}`)
        : appError('UNAUTHENTICATED', `${info.parentType.name}.${info.fieldName} needs a bearer token`),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.queryType({});
builder.mutationType({});
