export * from './infrastructure';
export * from './graphql-client';
export * from './tcp-proxy';
