import { ConfigError } from '@servicedesk/platform';
import { loadAppointmentConfig } from './config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadAppointmentConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('appointment configuration', () => {
  it('has working local defaults', () => {
    expect(loadAppointmentConfig({})).toMatchObject({
      APPOINTMENT_PORT: 3005,
      APPOINTMENT_SLOT_STEP_MINUTES: 15,
      APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES: 1440,
      APPOINTMENT_REMINDER_OFFSETS_MINUTES: [1440, 60],
      APPOINTMENT_REMINDER_INTERVAL_MS: 30_000,
      APPOINTMENT_REMINDER_BATCH_SIZE: 200,
    });
  });

  it('reads every variable, ordering reminder offsets largest first without duplicates', () => {
    expect(
      loadAppointmentConfig({
        APPOINTMENT_PORT: '4005',
        APPOINTMENT_SLOT_STEP_MINUTES: '30',
        APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES: '0',
        APPOINTMENT_REMINDER_OFFSETS_MINUTES: ' 15, 2880 ,60,15',
        APPOINTMENT_REMINDER_INTERVAL_MS: '0',
        APPOINTMENT_REMINDER_BATCH_SIZE: '10',
      }),
    ).toMatchObject({
      APPOINTMENT_PORT: 4005,
      APPOINTMENT_SLOT_STEP_MINUTES: 30,
      APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES: 0,
      APPOINTMENT_REMINDER_OFFSETS_MINUTES: [2880, 60, 15],
      APPOINTMENT_REMINDER_INTERVAL_MS: 0,
      APPOINTMENT_REMINDER_BATCH_SIZE: 10,
    });
  });

  it.each([
    ['APPOINTMENT_REMINDER_OFFSETS_MINUTES', { APPOINTMENT_REMINDER_OFFSETS_MINUTES: '60,0' }],
    ['APPOINTMENT_REMINDER_OFFSETS_MINUTES', { APPOINTMENT_REMINDER_OFFSETS_MINUTES: '60,,30' }],
    ['APPOINTMENT_REMINDER_OFFSETS_MINUTES', { APPOINTMENT_REMINDER_OFFSETS_MINUTES: '1h' }],
    ['APPOINTMENT_REMINDER_OFFSETS_MINUTES', { APPOINTMENT_REMINDER_OFFSETS_MINUTES: '-5' }],
    ['APPOINTMENT_SLOT_STEP_MINUTES', { APPOINTMENT_SLOT_STEP_MINUTES: '0' }],
    [
      'APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES',
      { APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES: '-1' },
    ],
    ['APPOINTMENT_REMINDER_INTERVAL_MS', { APPOINTMENT_REMINDER_INTERVAL_MS: 'often' }],
    ['APPOINTMENT_REMINDER_BATCH_SIZE', { APPOINTMENT_REMINDER_BATCH_SIZE: '0' }],
    ['APPOINTMENT_PORT', { APPOINTMENT_PORT: 'eighty' }],
  ])('names %s when it is invalid', (variable, env) => {
    expect(configError(env).message).toContain(variable);
  });
});
