import { OpsUsageError, parseOpsArguments } from './ops-arguments';

describe('parseOpsArguments', () => {
  it('reads every command with its options', () => {
    expect(parseOpsArguments(['outbox', 'status'])).toEqual({
      kind: 'outbox-status',
      service: undefined,
      json: false,
    });
    expect(parseOpsArguments(['outbox', 'status', '--service', 'ticket', '--json'])).toEqual({
      kind: 'outbox-status',
      service: 'ticket',
      json: true,
    });
    expect(parseOpsArguments(['outbox', 'retry-failed', '--service', 'user'])).toEqual({
      kind: 'outbox-retry-failed',
      service: 'user',
      json: false,
    });
    expect(parseOpsArguments(['dlq', 'list'])).toEqual({
      kind: 'dlq-list',
      service: undefined,
      json: false,
    });
    expect(parseOpsArguments(['dlq', 'show', 'audit.events', '--limit', '5'])).toEqual({
      kind: 'dlq-show',
      queue: 'audit.events',
      limit: 5,
      json: false,
    });
    expect(parseOpsArguments(['dlq', 'replay', 'audit.events.dlq', '--json'])).toEqual({
      kind: 'dlq-replay',
      queue: 'audit.events.dlq',
      limit: 100,
      json: true,
    });
  });

  it('shows help for no arguments or --help', () => {
    expect(parseOpsArguments([])).toEqual({ kind: 'help' });
    expect(parseOpsArguments(['dlq', '--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['outbox', 'retry-failed'], /needs --service/],
    [['dlq', 'show'], /needs a queue name/],
    [['dlq', 'replay', 'q', '--limit', '0'], /--limit must be a whole number/],
    [['dlq', 'show', 'q', '--limit', 'ten'], /--limit must be a whole number/],
    [['dlq', 'show', 'q', '--limit'], /--limit needs a value/],
    [['dlq', 'list', '--verbose'], /unknown option --verbose/],
    [['dlq', 'purge', 'q'], /unknown command "dlq purge"/],
    [['outbox', 'status', 'extra'], /unexpected argument "extra"/],
  ])('rejects %j with a reason', (argv, reason) => {
    expect(() => parseOpsArguments(argv)).toThrow(OpsUsageError);
    expect(() => parseOpsArguments(argv)).toThrow(reason);
  });
});
