// `@servicedesk/platform/standalone`: the part of the platform a process without NestJS or
// TypeORM uses (the gateway, the tools), so that loading it loads neither.
export * from './context';
export * from './clock';
export * from './errors';
export * from './service-credential';
export * from './verified-token-cache';
export * from './config';
export * from './logger';
export * from './access-log';
export * from './metrics';
export * from './health.registry';
export * from './management-server';
export * from './circuit-breaker';
export * from './graphql-suggestions';
export * from './process-start';
export { startTracing, stopTracing } from './tracing';
export * from './paths';
export { correlationIdOf } from './correlation-id';
