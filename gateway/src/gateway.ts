import { existsSync, readFileSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import {
  GRAPHQL_PATH,
  HealthRegistry,
  Logger,
  ManagementServer,
  PUBLIC_PATHS,
  accessLogPlugin,
  createLogger,
  currentContext,
} from '@servicedesk/platform/standalone';
import express from 'express';
import { createAccessTokenVerifier } from './access-token';
import { createAuthenticator } from './authentication';
import { GatewayConfig } from './config';
import { assignCorrelationId, correlationIdOfResponse, withRequestContext } from './correlation-id';
import { deadlineGuard, requestDeadlineOf } from './deadline-guard';
import {
  answerNotFound,
  createErrorFormatter,
  httpErrorHandler,
  unresolvedOperationPlugin,
} from './errors';
import { GatewayBreakers } from './breakers';
import { createGatewayMetrics } from './metrics';
import { gatewayReadiness } from './probes';
import { queryLimitParseOptions, queryLimitRules } from './query-limits';
import { queryLimitsOf } from './query-limits-config';
import { createRateLimits } from './rate-limit';
import { ClientAddressContext, rateLimitPlugin } from './rate-limit-plugin';
import { RefusedDocumentBlocks, refusedDocumentGuard } from './refused-documents';
import { corsPolicy, securityHeaders } from './security-headers';
import { ServiceTokenCache } from './service-token-cache';
import {
  GATEWAY_SERVICE_NAME,
  GatewayContext,
  SubgraphConnection,
  SubgraphDataSource,
} from './subgraph-data-source';
import { SUPERGRAPH_PATH } from './subgraphs';

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. `http://localhost:8080/graphql`. */
  url: string;
  port: number;
  /** Base URL of `/health/*` and `/metrics`, on the management port, e.g. `http://localhost:9080`. */
  managementUrl: string;
  /** Graceful: stops taking requests, lets in-flight ones finish, closes subgraph connections. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The supergraph to serve; defaults to the checked-in `gateway/supergraph.graphql`. */
  supergraphSdl?: string;
  logger?: Logger;
}

export function readSupergraph(path: string = SUPERGRAPH_PATH): string {
  if (!existsSync(path)) {
    throw new Error(
      `The supergraph ${path} does not exist: run \`npm run compose\` to compose it from the subgraphs' SDL`,
    );
  }
  return readFileSync(path, 'utf8');
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** One keep-alive pool per subgraph, created on demand and closed together. */
class SubgraphConnections {
  private readonly byName = new Map<string, SubgraphConnection>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    for (const { name, url } of config.subgraphs) this.byName.set(name, this.open(name, url));
  }

  /** The pool for a subgraph of the supergraph; one missing from the subgraph list uses the supergraph's URL. */
  get(name: string, supergraphUrl: string | undefined): SubgraphConnection {
    let connection = this.byName.get(name);
    if (!connection) {
      this.logger.warn(
        { subgraph: name },
        `subgraph ${name} is in the supergraph but not in gateway/subgraphs.json: calling it at the supergraph's URL`,
      );
      connection = this.open(name, supergraphUrl ?? '');
      this.byName.set(name, connection);
    }
    return connection;
  }

  all(): Iterable<SubgraphConnection> {
    return this.byName.values();
  }

  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((connection) => connection.close()));
  }

  private open(name: string, url: string): SubgraphConnection {
    return new SubgraphConnection({
      name,
      url,
      timeoutMs: this.config.SUBGRAPH_TIMEOUT_MS,
      maxSockets: this.config.MAX_SOCKETS_PER_SUBGRAPH,
      keepAliveTimeoutMs: this.config.SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS,
    });
  }
}

/**
 * Builds and starts the gateway: the static supergraph served by Apollo Gateway, access-token
 * verification in front of it, service-credentialed keep-alive calls to each subgraph, and
 * probes and metrics beside it. Listens on `GATEWAY_PORT` (0 picks a free port).
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(GATEWAY_SERVICE_NAME, config.LOG_LEVEL);
  const supergraphSdl = options.supergraphSdl ?? readSupergraph();
  const production = config.NODE_ENV === 'production';
  const metrics = createGatewayMetrics([GRAPHQL_PATH, ...PUBLIC_PATHS]);
  const tokens = new ServiceTokenCache({
    secret: config.SERVICE_TOKEN_SECRET,
    issuer: GATEWAY_SERVICE_NAME,
  });
  const connections = new SubgraphConnections(config, logger);
  const queryLimits = queryLimitsOf(config);
  const rateLimits = createRateLimits(config, logger, metrics);
  const refusedDocuments = new RefusedDocumentBlocks();
  const breakers = new GatewayBreakers(config, metrics.registry, logger);

  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({
        connection: connections.get(name, url),
        tokens,
        breaker: breakers.subgraph(name),
        duration: metrics.subgraphRequestDuration,
        retries: breakers.retries,
        logger,
      }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  const httpServer = createServer(app);
  const server = new ApolloServer<GatewayContext & ClientAddressContext>({
    gateway,
    logger,
    nodeEnv: config.NODE_ENV,
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger, { hideSuggestions: production }),
    // Refused while parsing and validating, before a query plan exists: no subgraph is called.
    parseOptions: queryLimitParseOptions(queryLimits),
    validationRules: queryLimitRules(queryLimits),
    plugins: [
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: config.SHUTDOWN_TIMEOUT_MS,
      }),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ footer: false }),
      unresolvedOperationPlugin,
      rateLimitPlugin(rateLimits, refusedDocuments),
      accessLogPlugin(logger),
    ],
  });

  try {
    await Promise.all([server.start(), rateLimits.firstConnection()]);
  } catch (error) {
    rateLimits.close();
    await connections.close();
    throw error;
  }

  const authenticate = createAuthenticator(
    createAccessTokenVerifier({
      jwksUrl: config.JWKS_URL,
      issuer: config.ACCESS_TOKEN_ISSUER,
      audience: config.ACCESS_TOKEN_AUDIENCE,
      timeoutMs: config.JWKS_TIMEOUT_MS,
      cooldownMs: config.JWKS_COOLDOWN_MS,
      cacheMaxAgeMs: config.JWKS_CACHE_MAX_AGE_MS,
      breaker: breakers.keySet(),
      logger,
    }),
    logger,
  );
  // Reached only once Apollo has loaded the supergraph; shutdown turns it not-ready.
  const health = new HealthRegistry([{ name: 'supergraph', check: async () => undefined }]);

  const management = new ManagementServer({
    service: GATEWAY_SERVICE_NAME,
    registry: metrics.registry,
    logger,
    readiness: gatewayReadiness({
      health,
      subgraphs: () => connections.all(),
      rateLimitStore: () => rateLimits.redisState,
    }),
  });

  // First, so every answer carries them: errors, 404s, 413s and 429s included.
  app.use(securityHeaders(config), corsPolicy(config));
  app.use(assignCorrelationId, metrics.httpMiddleware);
  app.use(
    GRAPHQL_PATH,
    deadlineGuard(config.REQUEST_TIMEOUT_MS, logger),
    refusedDocumentGuard(refusedDocuments, metrics.rateLimited),
    express.json({ limit: config.MAX_BODY_BYTES }),
    withRequestContext,
    expressMiddleware(server, {
      context: async ({ req, res }): Promise<GatewayContext & ClientAddressContext> => {
        const deadline = requestDeadlineOf(res);
        const authenticated = deadline.begin('authentication');
        const identity = await authenticate(req.headers.authorization).finally(authenticated);
        const requestContext = currentContext();
        if (requestContext) requestContext.identity = identity;
        const correlationId = correlationIdOfResponse(res);
        return { identity, correlationId, deadline, clientAddress: req.ip };
      },
    }),
  );
  app.use(answerNotFound);
  app.use(httpErrorHandler(logger));

  let port: number;
  let managementPort: number;
  try {
    // The management port first: a gateway that cannot be probed does not take traffic.
    managementPort = await management.listen(config.GATEWAY_MANAGEMENT_PORT);
    port = await listen(httpServer, config.GATEWAY_PORT);
  } catch (error) {
    await management.close();
    await server
      .stop()
      .catch((stopError: unknown) => logger.warn({ err: stopError }, 'stopping Apollo failed'));
    rateLimits.close();
    await connections.close();
    throw error;
  }
  const url = `http://localhost:${port}${GRAPHQL_PATH}`;
  const managementUrl = `http://localhost:${managementPort}`;
  logger.info({ port, managementPort, subgraphs: config.subgraphs }, 'gateway listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      health.markShuttingDown();
      // Stops the HTTP server (in-flight requests finish within the grace period), then the gateway.
      await server.stop();
      // After the public port, so probes see "not ready" while requests drain.
      await management.close();
      rateLimits.close();
      await connections.close();
      breakers.shutdown();
      logger.info('gateway stopped');
    })();
    return closing;
  };

  return { url, port, managementUrl, close };
}
