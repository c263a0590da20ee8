import { BadUserInputError, validateInput } from '@servicedesk/platform';
import { updatePreferencesArgs } from './preferences.inputs';

function fieldOf(input: unknown): string {
  try {
    validateInput(updatePreferencesArgs, { input });
  } catch (error) {
    if (error instanceof BadUserInputError) return error.field;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('preference input', () => {
  it('turns clock times into minutes, and tells clearing from leaving quiet hours alone', () => {
    expect(
      validateInput(updatePreferencesArgs, {
        input: { quietHours: { start: '22:00', end: '07:00' } },
      }),
    ).toEqual({ input: { categories: [], quietHours: { start: 1320, end: 420 } } });
    expect(
      validateInput(updatePreferencesArgs, { input: { quietHours: null } }).input.quietHours,
    ).toBeNull();
    expect(validateInput(updatePreferencesArgs, { input: {} }).input.quietHours).toBeUndefined();
  });

  it.each([
    [
      'SECURITY email turned off',
      { categories: [{ category: 'SECURITY', email: false }] },
      'input.categories.0.email',
    ],
    [
      'a category listed twice',
      {
        categories: [
          { category: 'SLA', email: true },
          { category: 'SLA', inApp: false },
        ],
      },
      'input.categories.1.category',
    ],
    [
      'an unknown category',
      { categories: [{ category: 'NEWS', email: false }] },
      'input.categories.0.category',
    ],
    [
      'a start that is no time',
      { quietHours: { start: '25:00', end: '07:00' } },
      'input.quietHours.start',
    ],
    [
      'an end equal to the start',
      { quietHours: { start: '07:00', end: '07:00' } },
      'input.quietHours.end',
    ],
  ])('names the field of %s', (_case, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('lets SECURITY in-app notifications be turned off', () => {
    expect(
      validateInput(updatePreferencesArgs, {
        input: { categories: [{ category: 'SECURITY', inApp: false, email: true }] },
      }).input.categories,
    ).toEqual([{ category: 'SECURITY', inApp: false, email: true }]);
  });
});
