import { ConfigError } from '@servicedesk/platform';
import { loadTicketConfig } from './config';
import { DEFAULT_SLA_POLICY } from './sla/sla-policy';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadTicketConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('ticket configuration', () => {
  it('has working local defaults', () => {
    expect(loadTicketConfig({})).toMatchObject({
      TICKET_PORT: 3002,
      SLA_POLICY: DEFAULT_SLA_POLICY,
      SLA_CHECK_INTERVAL_MS: 60_000,
      SLA_CHECK_BATCH_SIZE: 200,
    });
  });

  it('reads the port, the detector schedule and SLA overrides', () => {
    const config = loadTicketConfig({
      TICKET_PORT: '4002',
      SLA_CHECK_INTERVAL_MS: '0',
      SLA_CHECK_BATCH_SIZE: '50',
      SLA_POLICY: '{"URGENT":{"firstResponseMinutes":15,"resolutionMinutes":120}}',
    });
    expect(config).toMatchObject({
      TICKET_PORT: 4002,
      SLA_CHECK_INTERVAL_MS: 0,
      SLA_CHECK_BATCH_SIZE: 50,
    });
    expect(config.SLA_POLICY.URGENT).toEqual({ firstResponseMinutes: 15, resolutionMinutes: 120 });
    expect(config.SLA_POLICY.LOW).toEqual(DEFAULT_SLA_POLICY.LOW);
  });

  it.each([
    ['SLA_POLICY', { SLA_POLICY: '{"URGENT":' }],
    ['SLA_POLICY', { SLA_POLICY: '{"URGENT":{"firstResponseMinutes":-5}}' }],
    ['SLA_CHECK_INTERVAL_MS', { SLA_CHECK_INTERVAL_MS: '-1' }],
    ['SLA_CHECK_BATCH_SIZE', { SLA_CHECK_BATCH_SIZE: '0' }],
    ['TICKET_PORT', { TICKET_PORT: 'eighty' }],
  ])('names %s when it is invalid', (variable, env) => {
    expect(configError(env).message).toContain(variable);
  });
});
