import type { Identity } from '@servicedesk/platform/standalone';
import type { Logger } from 'pino';
import {
  AccessTokenVerifier,
  InvalidAccessTokenError,
  KeySetUnavailableError,
} from './access-token';
import { serviceUnavailableError, unauthenticatedError } from './errors';

/**
 * The identity a request acts for, or a GraphQL error that fails the whole request before any
 * subgraph is called: 401 UNAUTHENTICATED for a token that is present but does not verify,
 * 503 SERVICE_UNAVAILABLE when the key set cannot be fetched. No token means anonymous
 * (null): each subgraph decides what an anonymous caller may do (register, login…).
 */
export function createAuthenticator(verify: AccessTokenVerifier, logger: Logger) {
  return async (authorization: string | undefined): Promise<Identity | null> => {
    try {
      return await verify(authorization);
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) {
        logger.info({ reason: error.reason }, 'request refused: invalid access token');
        throw unauthenticatedError(error.reason);
      }
      if (error instanceof KeySetUnavailableError) {
        logger.error({ err: error }, 'cannot verify access tokens: the key set is unreachable');
        throw serviceUnavailableError('authentication', { status: 503 });
      }
      throw error;
    }
  };
}
