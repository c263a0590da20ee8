export * from './infrastructure';
export * from './graphql-client';
export * from './tcp-proxy';
export * from './identities';
export * from './events';
export * from './metrics';
export * from './service-under-test';
export * from './test-clock';
