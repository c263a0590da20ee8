import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@servicedesk/platform';
import { LOCAL_ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD, loadUserConfig } from './config';

const ed25519 = () => generateKeyPairSync('ed25519');
const privatePem = () => ed25519().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = () => ed25519().publicKey.export({ type: 'spki', format: 'pem' }).toString();

const productionEnv = () => ({
  NODE_ENV: 'production',
  SERVICE_TOKEN_SECRET: 'a-production-service-token-secret',
  JWT_PRIVATE_KEY: privatePem(),
  ADMIN_EMAIL: 'ops@example.com',
  ADMIN_PASSWORD: 'A-long-production-password-1',
});

describe('loadUserConfig', () => {
  it('has working local defaults', () => {
    const config = loadUserConfig({});
    expect(config).toMatchObject({
      USER_PORT: 3001,
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_FAILURE_WINDOW_MINUTES: 15,
      LOCKOUT_MINUTES: 15,
      ADMIN_EMAIL: LOCAL_ADMIN_EMAIL,
      ADMIN_PASSWORD: LOCAL_ADMIN_PASSWORD,
      JWT_PREVIOUS_PUBLIC_KEYS: [],
    });
    expect(config.JWT_PRIVATE_KEY).toBeUndefined();
  });

  it('starts in production when the key and the administrator are set', () => {
    expect(loadUserConfig(productionEnv()).NODE_ENV).toBe('production');
  });

  it.each(['JWT_PRIVATE_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'])(
    'refuses to start in production without %s',
    (name) => {
      const env: Record<string, string> = productionEnv();
      delete env[name];
      expect(() => loadUserConfig(env)).toThrow(ConfigError);
      expect(() => loadUserConfig(env)).toThrow(new RegExp(`${name}: must be set in production`));
    },
  );

  it('names every missing production secret at once, so one restart is enough to fix them', () => {
    expect(() => loadUserConfig({ NODE_ENV: 'production' })).toThrow(
      /SERVICE_TOKEN_SECRET: must be set[\s\S]*JWT_PRIVATE_KEY: must be set[\s\S]*ADMIN_EMAIL: must be set[\s\S]*ADMIN_PASSWORD: must be set/,
    );
  });

  it('refuses a weak ADMIN_PASSWORD, naming the variable and the rule but not the value', () => {
    const weak = 'Tiny-pw1';
    const message = (() => {
      try {
        loadUserConfig({ ADMIN_PASSWORD: weak });
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/ADMIN_PASSWORD: password must be at least 12 characters long/);
    expect(message).not.toContain(weak);
  });

  it('refuses a signing key it cannot use', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => loadUserConfig({ JWT_PRIVATE_KEY: rsa.toString() })).toThrow(
      /JWT_PRIVATE_KEY: must be an Ed25519 or P-256/,
    );
    expect(() => loadUserConfig({ JWT_PRIVATE_KEY: 'garbage' })).toThrow(
      /JWT_PRIVATE_KEY: must be a private key/,
    );
  });

  it('reads previous public keys from a JSON array and refuses anything else', () => {
    const pem = publicPem();
    expect(
      loadUserConfig({ JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([{ kid: 'old', pem }]) })
        .JWT_PREVIOUS_PUBLIC_KEYS,
    ).toEqual([{ kid: 'old', pem }]);
    expect(() => loadUserConfig({ JWT_PREVIOUS_PUBLIC_KEYS: 'not json' })).toThrow(
      /JWT_PREVIOUS_PUBLIC_KEYS: must be a JSON array/,
    );
    expect(() =>
      loadUserConfig({ JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([{ kid: 'old', pem: 'x' }]) }),
    ).toThrow(/JWT_PREVIOUS_PUBLIC_KEYS: 0.pem: must be a public key/);
  });

  it.each([
    ['LOGIN_MAX_FAILURES', '0'],
    ['LOCKOUT_MINUTES', '-1'],
    ['ACCESS_TOKEN_TTL_SECONDS', 'soon'],
    ['ADMIN_EMAIL', 'not-an-email'],
  ])('names %s when its value is invalid', (name, value) => {
    expect(() => loadUserConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
