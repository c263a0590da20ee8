// Applies the rate limits once an operation is known and before any subgraph is called: a
// limited request is answered 429 RATE_LIMITED with the seconds to wait.
import { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { FragmentDefinitionNode, GraphQLError, Kind } from 'graphql';
import type { RateLimits, RateLimitRefusal } from './rate-limit';
import { addressKey, chargesOf } from './rate-limit-charges';
import type { RefusedDocumentBlocks } from './refused-documents';
import type { GatewayContext } from './subgraph-data-source';

/** What the rate limits need of a request besides the gateway's own context. */
export interface ClientAddressContext {
  /** The socket's address, or X-Forwarded-For's as far as TRUST_PROXY allows. */
  clientAddress: string | undefined;
}

export function rateLimitedError({ retryAfterSeconds }: RateLimitRefusal): GraphQLError {
  return new GraphQLError(`Too many requests, try again in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfter: retryAfterSeconds,
      http: {
        status: 429,
        headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]),
      },
    },
  });
}

export function rateLimitPlugin(
  limits: RateLimits,
  refusedDocuments: RefusedDocumentBlocks,
): ApolloServerPlugin<GatewayContext & ClientAddressContext> {
  return {
    async requestDidStart() {
      return {
        // No operation: the document was refused while parsing or validating, or named none
        // of its operations (refused-documents.ts). Errors of an operation that ran are not charged.
        async didEncounterErrors({ operation, contextValue }) {
          if (operation) return;
          const address = contextValue.clientAddress;
          const refusal = await limits.spend([
            { limit: 'anonymous', key: addressKey(address), points: 1 },
          ]);
          if (refusal) refusedDocuments.block(address, refusal);
        },
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION)
              fragments[definition.name.value] = definition;
          }
          const charges = chargesOf(
            { operation, fragments, variables: request.variables },
            {
              userId: contextValue.identity?.userId ?? null,
              address: addressKey(contextValue.clientAddress),
            },
          );
          if (charges.length === 0) return;
          const refusal = await limits.spend(charges);
          if (refusal) throw rateLimitedError(refusal);
        },
      };
    },
  };
}
