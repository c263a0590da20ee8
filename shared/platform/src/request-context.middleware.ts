import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Identity, runWithContext } from './context';
import { correlationIdOf } from './correlation-id';
import { UnauthenticatedError } from './errors';
import { bindRequestLogger } from './graphql-errors';
import { Logger } from './logger';
import { PUBLIC_PATHS } from './paths';
import type { PlatformOptions } from './platform.module';
import {
  CORRELATION_ID_HEADER,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
  VerifiedServiceCall,
  serviceTokenVerifier,
} from './service-credential';
import { LOGGER, PLATFORM_OPTIONS } from './tokens';

export { correlationIdOf };

/**
 * Probes and metrics live on the management port; here they pass without a credential only to
 * be answered 404, so a probe aimed at the public port learns where it went wrong.
 */
function isPublic(path: string, extraPublicPaths: readonly string[] = []): boolean {
  return (PUBLIC_PATHS as readonly string[]).includes(path) || extraPublicPaths.includes(path);
}

export function unauthenticatedBody(message: string) {
  return { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] };
}

/**
 * The front door of a subgraph. Every request gets a correlation id (the caller's or a new
 * one, echoed back). Apart from probes and metrics, a request must carry a service
 * credential addressed to this service, or it is answered 401 before anything else runs;
 * the rest of the request then runs inside the request context, which is how resolvers,
 * logs and emitted events learn the correlation id and the verified identity.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  private readonly verifyToken: (token: string) => Promise<VerifiedServiceCall>;

  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verifyToken = serviceTokenVerifier(options.config.SERVICE_TOKEN_SECRET, options.service);
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const correlationId = correlationIdOf(request);
    response.locals.correlationId = correlationId;
    response.setHeader(CORRELATION_ID_HEADER, correlationId);

    if (isPublic(request.path, this.options.publicPaths)) {
      runWithContext(bindRequestLogger({ correlationId, identity: null }, this.logger), () =>
        next(),
      );
      return;
    }

    let identity: Identity | null;
    try {
      identity = await this.verify(request);
    } catch (error) {
      const message =
        error instanceof UnauthenticatedError ? error.message : 'invalid service credential';
      this.logger.warn(
        {
          correlationId,
          method: request.method,
          path: request.path,
          caller: request.header(SERVICE_NAME_HEADER),
          reason: message,
        },
        'request rejected: no valid service credential',
      );
      response.status(401).json(unauthenticatedBody(message));
      return;
    }
    runWithContext(
      bindRequestLogger({ correlationId, identity, origin: 'http' }, this.logger),
      () => next(),
    );
  }

  private async verify(request: Request): Promise<Identity | null> {
    const caller = request.header(SERVICE_NAME_HEADER);
    const token = request.header(SERVICE_TOKEN_HEADER);
    if (!caller || !token) {
      throw new UnauthenticatedError(
        `a service credential (${SERVICE_NAME_HEADER}, ${SERVICE_TOKEN_HEADER}) is required`,
      );
    }
    const verified = await this.verifyToken(token);
    if (verified.issuer !== caller) {
      throw new UnauthenticatedError(
        `${SERVICE_NAME_HEADER} does not match the credential's issuer`,
      );
    }
    return verified.identity;
  }
}
