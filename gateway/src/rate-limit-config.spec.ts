import { ConfigError } from '@servicedesk/platform/standalone';
import { loadGatewayConfig } from './config';

describe('rate-limit configuration', () => {
  it('has sound defaults: local Redis, a shared prefix, the socket address only', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      RATE_LIMIT_KEY_PREFIX: 'servicedesk:rate-limit:',
      RATE_LIMIT_REDIS_TIMEOUT_MS: 250,
      TRUST_PROXY: false,
      RATE_LIMIT_ANONYMOUS: { points: 300, durationSeconds: 60 },
      RATE_LIMIT_LOGIN_PER_ADDRESS: { points: 20, durationSeconds: 900 },
      RATE_LIMIT_LOGIN_PER_ACCOUNT: { points: 10, durationSeconds: 900 },
      RATE_LIMIT_REGISTER_PER_ADDRESS: { points: 10, durationSeconds: 3600 },
      RATE_LIMIT_MUTATIONS_PER_USER: { points: 120, durationSeconds: 60 },
    });
  });

  it.each([
    ['1', 1],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
    ['false', false],
    ['', false],
  ])('reads TRUST_PROXY=%j as %j', (value, trusted) => {
    expect(loadGatewayConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(trusted);
  });

  it.each(['20', '0/60', '20/0', 'twenty/60', '20/60/1'])(
    'refuses a limit written %j, naming the variable',
    (value) => {
      expect(() => loadGatewayConfig({ RATE_LIMIT_LOGIN_PER_ACCOUNT: value })).toThrow(ConfigError);
      expect(() => loadGatewayConfig({ RATE_LIMIT_LOGIN_PER_ACCOUNT: value })).toThrow(
        /RATE_LIMIT_LOGIN_PER_ACCOUNT/,
      );
    },
  );

  it('refuses a REDIS_URL that is not redis:// or rediss://', () => {
    expect(() => loadGatewayConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
  });
});
