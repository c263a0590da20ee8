import { DEFAULT_SLA_POLICY, mergeSlaPolicy, slaDueDates, slaPolicySchema } from './sla-policy';

const HOUR_MS = 3_600_000;
const openedAt = new Date('2025-03-10T08:15:30.250Z');

describe('SLA policy', () => {
  it.each([
    ['URGENT', 1, 4],
    ['HIGH', 4, 24],
    ['NORMAL', 8, 72],
    ['LOW', 24, 120],
  ] as const)(
    'by default gives %s %i h to respond and %i h to resolve',
    (priority, respondHours, resolveHours) => {
      const due = slaDueDates(DEFAULT_SLA_POLICY, priority, openedAt);
      expect(due.firstResponseDueAt.getTime() - openedAt.getTime()).toBe(respondHours * HOUR_MS);
      expect(due.resolutionDueAt.getTime() - openedAt.getTime()).toBe(resolveHours * HOUR_MS);
    },
  );

  it('computes due times from the given policy, to the millisecond', () => {
    const policy = mergeSlaPolicy({ HIGH: { firstResponseMinutes: 30, resolutionMinutes: 90 } });
    expect(slaDueDates(policy, 'HIGH', openedAt)).toEqual({
      firstResponseDueAt: new Date('2025-03-10T08:45:30.250Z'),
      resolutionDueAt: new Date('2025-03-10T09:45:30.250Z'),
    });
  });

  it('uses the default policy when SLA_POLICY is not set', () => {
    expect(slaPolicySchema.parse(undefined)).toEqual(DEFAULT_SLA_POLICY);
  });

  it('overrides only the targets SLA_POLICY names', () => {
    const policy = slaPolicySchema.parse(
      '{"URGENT":{"firstResponseMinutes":15},"LOW":{"resolutionMinutes":10080}}',
    );
    expect(policy.URGENT).toEqual({ firstResponseMinutes: 15, resolutionMinutes: 240 });
    expect(policy.LOW).toEqual({ firstResponseMinutes: 1440, resolutionMinutes: 10080 });
    expect(policy.HIGH).toEqual(DEFAULT_SLA_POLICY.HIGH);
    expect(policy.NORMAL).toEqual(DEFAULT_SLA_POLICY.NORMAL);
  });

  it.each([
    ['not JSON', 'URGENT=15', /must be JSON/],
    ['an unknown priority', '{"CRITICAL":{"firstResponseMinutes":5}}', /CRITICAL|unrecognized/i],
    ['an unknown target', '{"LOW":{"firstResponseHours":5}}', /firstResponseHours|unrecognized/i],
    ['a non-positive duration', '{"LOW":{"resolutionMinutes":0}}', /LOW|too small|>0|greater/i],
    [
      'a first response due after the resolution',
      '{"HIGH":{"firstResponseMinutes":2000}}',
      /HIGH: firstResponseMinutes must not exceed/,
    ],
  ])('rejects %s', (_case, value, message) => {
    const result = slaPolicySchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });
});
