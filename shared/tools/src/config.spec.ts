import { loadStockGatewayConfig } from './config';

describe('loadStockGatewayConfig', () => {
  it('reads the credential secret, the port and the subgraph URLs the environment overrides', () => {
    const config = loadStockGatewayConfig({
      SERVICE_TOKEN_SECRET: 'a-secret',
      STOCK_GATEWAY_PORT: '4100',
      TICKET_SUBGRAPH_URL: 'http://127.0.0.1:4002/graphql',
    });
    expect(config.secret).toBe('a-secret');
    expect(config.port).toBe(4100);
    expect([...config.subgraphUrls]).toEqual([['ticket', 'http://127.0.0.1:4002/graphql']]);
  });

  it('listens on a free port unless told otherwise', () => {
    expect(loadStockGatewayConfig({ SERVICE_TOKEN_SECRET: 'a-secret' }).port).toBe(0);
  });

  it('refuses to run without the credential secret, naming it', () => {
    expect(() => loadStockGatewayConfig({})).toThrow(/SERVICE_TOKEN_SECRET/);
  });
});
