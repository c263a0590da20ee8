import { ConfigError } from '@servicedesk/platform';
import { loadNotificationConfig } from './config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadNotificationConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

const PRODUCTION_BASE = {
  NODE_ENV: 'production',
  SERVICE_TOKEN_SECRET: 'a-production-secret-of-some-length',
};

describe('notification configuration', () => {
  it('has working local defaults', () => {
    expect(loadNotificationConfig({})).toMatchObject({
      NOTIFICATION_PORT: 3004,
      SMTP_URL: 'smtp://127.0.0.1:1025',
      NOTIFICATION_EMAIL_FROM: 'Servicedesk <no-reply@servicedesk.local>',
      NOTIFICATION_SMTP_TIMEOUT_MS: 10_000,
      NOTIFICATION_RELEASE_INTERVAL_MS: 30_000,
      NOTIFICATION_RELEASE_BATCH_SIZE: 100,
      NOTIFICATION_CRITICAL_APPOINTMENT_HOURS: 24,
    });
  });

  it('reads every variable of the service', () => {
    expect(
      loadNotificationConfig({
        NOTIFICATION_PORT: '4004',
        SMTP_URL: 'smtps://mailer:secret@mail.example.com:465',
        NOTIFICATION_EMAIL_FROM: 'Help <help@example.com>',
        NOTIFICATION_SMTP_TIMEOUT_MS: '2500',
        NOTIFICATION_RELEASE_INTERVAL_MS: '0',
        NOTIFICATION_RELEASE_BATCH_SIZE: '10',
        NOTIFICATION_CRITICAL_APPOINTMENT_HOURS: '2',
      }),
    ).toMatchObject({
      NOTIFICATION_PORT: 4004,
      SMTP_URL: 'smtps://mailer:secret@mail.example.com:465',
      NOTIFICATION_EMAIL_FROM: 'Help <help@example.com>',
      NOTIFICATION_SMTP_TIMEOUT_MS: 2500,
      NOTIFICATION_RELEASE_INTERVAL_MS: 0,
      NOTIFICATION_RELEASE_BATCH_SIZE: 10,
      NOTIFICATION_CRITICAL_APPOINTMENT_HOURS: 2,
    });
  });

  it.each([
    ['SMTP_URL', { SMTP_URL: 'http://mail.example.com' }],
    ['NOTIFICATION_EMAIL_FROM', { NOTIFICATION_EMAIL_FROM: 'Servicedesk <no-reply>' }],
    ['NOTIFICATION_SMTP_TIMEOUT_MS', { NOTIFICATION_SMTP_TIMEOUT_MS: '0' }],
    ['NOTIFICATION_RELEASE_INTERVAL_MS', { NOTIFICATION_RELEASE_INTERVAL_MS: '-1' }],
    ['NOTIFICATION_RELEASE_BATCH_SIZE', { NOTIFICATION_RELEASE_BATCH_SIZE: '0' }],
    [
      'NOTIFICATION_CRITICAL_APPOINTMENT_HOURS',
      { NOTIFICATION_CRITICAL_APPOINTMENT_HOURS: 'soon' },
    ],
    ['NOTIFICATION_PORT', { NOTIFICATION_PORT: 'eighty' }],
  ])('names %s when it is invalid', (variable, env) => {
    expect(configError(env).message).toContain(variable);
  });

  it('has a pool that holds the default prefetch of deliveries', () => {
    expect(loadNotificationConfig({})).toMatchObject({
      CONSUMER_PREFETCH: 10,
      DATABASE_POOL_SIZE: 12,
    });
  });

  it('refuses a prefetch its pool could deadlock on, naming both variables', () => {
    // Each delivery may hold two connections: 11 deliveries need 12.
    expect(() => loadNotificationConfig({ CONSUMER_PREFETCH: '11' })).not.toThrow();
    const message = configError({ CONSUMER_PREFETCH: '12' }).message;
    expect(message).toContain('DATABASE_POOL_SIZE=12');
    expect(message).toContain('CONSUMER_PREFETCH=12');
  });

  it('never shows the SMTP URL, which may carry credentials, in an error', () => {
    const message = configError({ SMTP_URL: 'ftp://mailer:hunter2@mail.example.com' }).message;
    expect(message).toContain('SMTP_URL');
    expect(message).not.toContain('hunter2');
  });

  it('requires SMTP_URL in production', () => {
    expect(configError(PRODUCTION_BASE).message).toContain('SMTP_URL: must be set in production');
    expect(
      loadNotificationConfig({ ...PRODUCTION_BASE, SMTP_URL: 'smtp://mail.internal:25' }).SMTP_URL,
    ).toBe('smtp://mail.internal:25');
  });
});
