import { z } from 'zod';
import {
  ConfigError,
  LOCAL_SERVICE_TOKEN_SECRET,
  baseConfigShape,
  loadConfig,
  portVariable,
  requireInProduction,
} from './config';

const serviceSchema = z.object({
  ...baseConfigShape,
  TICKET_PORT: portVariable(3002),
  ADMIN_PASSWORD: z.string().min(8).default('local-admin-password'),
});

const productionSecret = 'a-production-secret-that-is-long-enough';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills local development defaults when nothing is set', () => {
    const config = loadConfig(serviceSchema, {});

    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/servicedesk',
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      SERVICE_TOKEN_SECRET: LOCAL_SERVICE_TOKEN_SECRET,
      SHUTDOWN_TIMEOUT_MS: 10000,
      TICKET_PORT: 3002,
    });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('parses and coerces the values it is given', () => {
    const config = loadConfig(serviceSchema, {
      TICKET_PORT: '4002',
      SHUTDOWN_TIMEOUT_MS: '2500',
      LOG_LEVEL: 'debug',
    });

    expect(config).toMatchObject({
      TICKET_PORT: 4002,
      SHUTDOWN_TIMEOUT_MS: 2500,
      LOG_LEVEL: 'debug',
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(serviceSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: '', TICKET_PORT: '' });

    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(config.TICKET_PORT).toBe(3002);
  });

  it('names every invalid variable with its reason in one error', () => {
    const error = errorOf(() =>
      loadConfig(serviceSchema, {
        TICKET_PORT: 'eighty',
        DATABASE_URL: 'mysql://root@localhost/db',
        LOG_LEVEL: 'loud',
        SHUTDOWN_TIMEOUT_MS: '-1',
      }),
    );

    expect(error.message).toMatch(/TICKET_PORT: .*expected number/);
    expect(error.message).not.toMatch(/TICKET_PORT: is required/);
    expect(error.message).toMatch(
      /DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    );
    expect(error.message).toMatch(/LOG_LEVEL: .*expected one of/);
    expect(error.message).toMatch(/SHUTDOWN_TIMEOUT_MS: .*>0/);
  });

  it('never puts a value into the message, even of an invalid secret', () => {
    const error = errorOf(() =>
      loadConfig(serviceSchema, { SERVICE_TOKEN_SECRET: 'short-s3cr3t' }),
    );

    expect(error.message).toContain('SERVICE_TOKEN_SECRET');
    expect(error.message).not.toContain('short-s3cr3t');
  });

  it('says "is required" for a missing variable without a default', () => {
    const schema = z.object({ SMTP_URL: z.string() });

    expect(errorOf(() => loadConfig(schema, {})).message).toContain('SMTP_URL: is required');
  });

  it('refuses production without SERVICE_TOKEN_SECRET and names it', () => {
    const error = errorOf(() => loadConfig(serviceSchema, { NODE_ENV: 'production' }));

    expect(error.message).toContain('SERVICE_TOKEN_SECRET: must be set in production');
  });

  it('refuses production with the local default SERVICE_TOKEN_SECRET set explicitly', () => {
    const error = errorOf(() =>
      loadConfig(serviceSchema, {
        NODE_ENV: 'production',
        SERVICE_TOKEN_SECRET: LOCAL_SERVICE_TOKEN_SECRET,
      }),
    );

    expect(error.message).toContain(
      'SERVICE_TOKEN_SECRET: must not be the local development default',
    );
  });

  it('accepts production with a real SERVICE_TOKEN_SECRET', () => {
    const config = loadConfig(serviceSchema, {
      NODE_ENV: 'production',
      SERVICE_TOKEN_SECRET: productionSecret,
    });

    expect(config.SERVICE_TOKEN_SECRET).toBe(productionSecret);
  });
});

describe('requireInProduction', () => {
  const production = { NODE_ENV: 'production', SERVICE_TOKEN_SECRET: productionSecret };

  it('names each secret that was left to its default', () => {
    const config = loadConfig(serviceSchema, production);

    const error = errorOf(() =>
      requireInProduction(config, 'ADMIN_PASSWORD', 'SERVICE_TOKEN_SECRET'),
    );

    expect(error.message).toContain('ADMIN_PASSWORD: must be set in production');
    expect(error.message).not.toContain('SERVICE_TOKEN_SECRET');
  });

  it('refuses a secret explicitly set to its local default', () => {
    const config = loadConfig(serviceSchema, {
      ...production,
      ADMIN_PASSWORD: 'local-admin-password',
    });

    expect(errorOf(() => requireInProduction(config, 'ADMIN_PASSWORD')).message).toContain(
      'ADMIN_PASSWORD: must not be the local development default',
    );
  });

  it('passes when every named secret is set', () => {
    const config = loadConfig(serviceSchema, {
      ...production,
      ADMIN_PASSWORD: 'a-real-admin-password',
    });

    expect(() => requireInProduction(config, 'ADMIN_PASSWORD')).not.toThrow();
  });

  it('does nothing outside production', () => {
    const config = loadConfig(serviceSchema, {});

    expect(() =>
      requireInProduction(config, 'ADMIN_PASSWORD', 'SERVICE_TOKEN_SECRET'),
    ).not.toThrow();
  });

  it('works on a config object it did not load (missing values only)', () => {
    const error = errorOf(() =>
      requireInProduction({ NODE_ENV: 'production', SMTP_URL: '' }, 'SMTP_URL'),
    );

    expect(error.message).toContain('SMTP_URL: must be set in production');
  });
});
