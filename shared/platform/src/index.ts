export * from './context';
export * from './clock';
export * from './errors';
export * from './service-credential';
export * from './verified-token-cache';
export * from './config';
export * from './logger';
export * from './access-log';
export * from './nest-logger';
export * from './validation';
export * from './input-contract';
export * from './authorization';
export {
  formatGraphQLError,
  createGraphQLErrorFormatter,
  isConnectionError,
  UNEXPECTED_ERROR_MESSAGE,
} from './graphql-errors';
export * from './graphql-suggestions';
export * from './tokens';
export * from './metrics';
export * from './health.registry';
export { PUBLIC_PATHS } from './paths';
export * from './management-server';
export { ManagementEndpoints } from './management-endpoints';
export { PlatformModule } from './platform.module';
export { correlationIdOf } from './request-context.middleware';
export type { PlatformOptions } from './platform.module';
export { GRAPHQL_PATH } from './http-metrics.middleware';
export * from './graphql';
export * from './date-time.scalar';
export * from './database';
export * from './sql';
export * from './periodic-task';
export * from './database.module';
export * from './pagination';
export * from './bootstrap';
export * from './process-start';
export * from './startup-dependencies';
export * from './tracing';
export * from './idempotency';
export * from './circuit-breaker';
