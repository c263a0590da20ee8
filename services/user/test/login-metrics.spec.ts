// Failed logins and lockouts as metrics: every series exists at 0 from start-up, and each
// refusal is counted once under its reason.
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@servicedesk/platform';
import { metricSample } from '@servicedesk/testing';
import { AuthPayloadData, LOGIN, registerUser } from './support/builders';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

describe('login metrics', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  const login = (email: string, password: string) =>
    service.query<{ login: AuthPayloadData }>(LOGIN, { email, password });
  /** The counters as /metrics serves them, read from the registry it serves. */
  async function counters() {
    const text = await service.app.get<Registry>(METRICS_REGISTRY).metrics();
    return {
      unknownEmail: metricSample(text, 'login_failures_total', { reason: 'unknown_email' }),
      wrongPassword: metricSample(text, 'login_failures_total', { reason: 'wrong_password' }),
      locked: metricSample(text, 'login_failures_total', { reason: 'locked' }),
      lockouts: metricSample(text, 'account_lockouts_total'),
    };
  }

  it('starts every series at 0, then counts an unknown email, five wrong passwords, the lockout they cause and a refusal while locked', async () => {
    expect(await counters()).toEqual({ unknownEmail: 0, wrongPassword: 0, locked: 0, lockouts: 0 });
    const { registration } = await registerUser(service);

    await login(`nobody-${registration.email}`, registration.password);
    for (let failure = 1; failure <= 5; failure += 1)
      await login(registration.email, `Wrong-password-${failure}`);
    await login(registration.email, registration.password);

    expect(await counters()).toEqual({ unknownEmail: 1, wrongPassword: 5, locked: 1, lockouts: 1 });
  });
});
