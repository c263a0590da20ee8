export * from './roles';
export * from './events';
export * from './envelope';
export * from './personal-data';
export * from './subscriptions';
