// A stock `@apollo/gateway` on `@apollo/server`'s standalone server, serving the checked-in
// supergraph with the platform's service credential: the benchmark's peer for the gateway.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
  signServiceToken,
} from '@servicedesk/platform/service-credential';
import type { Role } from '@servicedesk/contracts';
import { decodeJwt } from 'jose';
import { loadStockGatewayConfig } from './config';
import { REPOSITORY_ROOT } from './processes';

/** Signed once per (subgraph, bearer token): as cheap per call as a credential can be. */
const TOKEN_TTL_SECONDS = 3600;

interface StockContext {
  authorization: string;
}

/**
 * The identity of the caller, read from its access token without verifying it: stock does
 * the least a gateway can, so that it is the fastest peer this credential allows.
 */
function identityOf(authorization: string) {
  if (!authorization.startsWith('Bearer ')) return null;
  const claims = decodeJwt(authorization.slice('Bearer '.length));
  return typeof claims.sub === 'string' && typeof claims.role === 'string'
    ? { userId: claims.sub, role: claims.role as Role }
    : null;
}

class CredentialedDataSource extends RemoteGraphQLDataSource<StockContext> {
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly secret: string,
  ) {
    super({ url });
  }

  override async willSendRequest({
    request,
    context,
  }: Parameters<NonNullable<RemoteGraphQLDataSource<StockContext>['willSendRequest']>>[0]) {
    const authorization = context.authorization ?? '';
    let token = this.tokens.get(authorization);
    if (!token) {
      token = signServiceToken(this.secret, {
        issuer: 'gateway',
        audience: this.subgraph,
        identity: identityOf(authorization),
        ttlSeconds: TOKEN_TTL_SECONDS,
      });
      this.tokens.set(authorization, token);
    }
    request.http?.headers.set(SERVICE_NAME_HEADER, 'gateway');
    request.http?.headers.set(SERVICE_TOKEN_HEADER, await token);
  }
}

async function main(): Promise<void> {
  const { secret, port, subgraphUrls: urls } = loadStockGatewayConfig();
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(join(REPOSITORY_ROOT, 'gateway', 'supergraph.graphql'), 'utf8'),
    buildService: ({ name, url }) =>
      new CredentialedDataSource(name, urls.get(name) ?? url ?? '', secret),
  });
  const server = new ApolloServer<StockContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization ?? '' }),
  });
  process.stderr.write(`stock gateway ready at ${url}\n`);
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`stock gateway: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  });
}
