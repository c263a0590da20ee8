import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloFederationDriver, ApolloFederationDriverConfig } from '@nestjs/apollo';
import { accessLogPlugin } from './access-log';
import { GRAPHQL_PATH } from './http-metrics.middleware';
import { createGraphQLErrorFormatter, loggerInScope } from './graphql-errors';
import { TextLimits, inputContractPlugin } from './input-contract';
import { Logger } from './logger';

export interface SubgraphGraphQLOptions {
  typeDefs: string | string[];
  production: boolean;
  /**
   * The longest value of each `String` argument and input field (see `inputContractPlugin`);
   * a service lists every one. Without it only ids are bounded, as in test fixtures.
   */
  textLimits?: TextLimits;
  /** Where unexpected resolver errors are logged; defaults to the PlatformModule logger. */
  logger?: Logger;
  /** Extra per-request GraphQL context (e.g. DataLoaders); Nest adds `req`. */
  context?: ApolloFederationDriverConfig['context'];
}

/**
 * GraphQLModule options shared by every subgraph (schema-first, federation 2). Introspection
 * stays on because the gateway composes statically anyway and nothing reaches a subgraph
 * without a service credential. CSRF prevention stays on: the gateway always sends JSON, so it
 * costs nothing. Errors go through the platform's single formatter.
 */
export function subgraphGraphQLOptions(
  options: SubgraphGraphQLOptions,
): ApolloFederationDriverConfig {
  return {
    driver: ApolloFederationDriver,
    typeDefs: options.typeDefs,
    path: GRAPHQL_PATH,
    playground: false,
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Apollo would otherwise read NODE_ENV itself; configuration is decided in one place.
    nodeEnv: options.production ? 'production' : 'development',
    formatError: createGraphQLErrorFormatter(options.logger, {
      hideSuggestions: options.production,
    }),
    // Federated (ftv1) traces are for Apollo Studio; tracing here is OpenTelemetry.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      inputContractPlugin(options.textLimits),
      accessLogPlugin(options.logger ?? loggerInScope),
    ],
    ...(options.context ? { context: options.context } : {}),
  };
}

/**
 * Reads a service's `src/schema.graphql`. Pass `__dirname` of a file directly in `src/` (or
 * its compiled twin in `dist/`): both resolve to the same source file, so there is one SDL.
 */
export function loadSchemaFile(dirOfCaller: string): string {
  return readFileSync(join(dirOfCaller, '..', 'src', 'schema.graphql'), 'utf8');
}
