/** What other packages (the end-to-end stack, tools) use to run the user service in-process. */
export { createUserApp } from './app';
export type { UserAppOptions } from './app';
export { loadUserConfig, LOCAL_ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD } from './config';
export type { UserConfig } from './config';
export { migrateUserDatabase } from './migrate';
export { createUserDataSource, USER_SCHEMA } from './data-source';
export { ACCESS_TOKEN_ISSUER, ACCESS_TOKEN_AUDIENCE } from './auth/access-tokens';
export { JWKS_PATH } from './auth/jwks.controller';
export { userTextLimits } from './app.module';
