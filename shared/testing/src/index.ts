export * from './infrastructure';
export * from './graphql-client';
