import { ConfigError } from '@servicedesk/platform/standalone';
import { loadGatewayConfig } from './config';
import { SubgraphDefinition } from './subgraphs';

const SUBGRAPHS: SubgraphDefinition[] = [
  { name: 'user', defaultUrl: 'http://127.0.0.1:3001/graphql', urlVariable: 'USER_SUBGRAPH_URL' },
  {
    name: 'ticket',
    defaultUrl: 'http://127.0.0.1:3002/graphql',
    urlVariable: 'TICKET_SUBGRAPH_URL',
  },
];

describe('loadGatewayConfig', () => {
  it('has working local defaults', () => {
    const config = loadGatewayConfig({}, SUBGRAPHS);

    expect(config).toMatchObject({
      NODE_ENV: 'development',
      GATEWAY_PORT: 8080,
      JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
      ACCESS_TOKEN_ISSUER: 'servicedesk-user',
      ACCESS_TOKEN_AUDIENCE: 'servicedesk',
      SUBGRAPH_TIMEOUT_MS: 10_000,
      REQUEST_TIMEOUT_MS: 12_000,
      MAX_SOCKETS_PER_SUBGRAPH: 64,
    });
    expect(config.subgraphs).toEqual([
      { name: 'user', url: 'http://127.0.0.1:3001/graphql' },
      { name: 'ticket', url: 'http://127.0.0.1:3002/graphql' },
    ]);
  });

  it('keeps a request deadline a little above the subgraph timeout unless REQUEST_TIMEOUT_MS is set', () => {
    expect(loadGatewayConfig({ SUBGRAPH_TIMEOUT_MS: '20000' }, SUBGRAPHS).REQUEST_TIMEOUT_MS).toBe(
      22_000,
    );
    expect(loadGatewayConfig({ REQUEST_TIMEOUT_MS: '5000' }, SUBGRAPHS).REQUEST_TIMEOUT_MS).toBe(
      5_000,
    );
    expect(() => loadGatewayConfig({ REQUEST_TIMEOUT_MS: '0' }, SUBGRAPHS)).toThrow(
      /REQUEST_TIMEOUT_MS/,
    );
  });

  it('takes each subgraph URL from its <NAME>_SUBGRAPH_URL variable', () => {
    const config = loadGatewayConfig(
      { TICKET_SUBGRAPH_URL: 'http://ticket.internal:8080/graphql' },
      SUBGRAPHS,
    );

    expect(config.subgraphs).toContainEqual({
      name: 'ticket',
      url: 'http://ticket.internal:8080/graphql',
    });
  });

  it('names the variable whose value is invalid', () => {
    expect(() => loadGatewayConfig({ SUBGRAPH_TIMEOUT_MS: 'soon' }, SUBGRAPHS)).toThrow(
      /SUBGRAPH_TIMEOUT_MS/,
    );
    expect(() => loadGatewayConfig({ USER_SUBGRAPH_URL: 'user:3001' }, SUBGRAPHS)).toThrow(
      /USER_SUBGRAPH_URL/,
    );
    expect(() => loadGatewayConfig({ JWKS_URL: 'ftp://keys' }, SUBGRAPHS)).toThrow(ConfigError);
  });

  it('refuses to start in production without a service-token secret of its own', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' }, SUBGRAPHS)).toThrow(
      /SERVICE_TOKEN_SECRET/,
    );
    expect(
      loadGatewayConfig(
        { NODE_ENV: 'production', SERVICE_TOKEN_SECRET: 'a-real-production-secret' },
        SUBGRAPHS,
      ).NODE_ENV,
    ).toBe('production');
  });

  it('lists every subgraph of gateway/subgraphs.json by default', () => {
    expect(loadGatewayConfig({}).subgraphs.map((subgraph) => subgraph.name)).toEqual([
      'user',
      'ticket',
      'appointment',
      'audit',
      'notification',
    ]);
  });
});
