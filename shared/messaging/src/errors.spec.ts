import { ContractViolationError } from '@servicedesk/contracts';
import { PermanentError, TransientError, classifyFailure, describeError } from './errors';

describe('classifyFailure', () => {
  it('parks permanent errors and contract violations at once', () => {
    expect(classifyFailure(new PermanentError('unknown ticket'))).toBe('permanent');
    expect(
      classifyFailure(new ContractViolationError('invalid payload', ['payload.userId: required'])),
    ).toBe('permanent');
  });

  it('retries transient errors', () => {
    expect(classifyFailure(new TransientError('database busy'))).toBe('transient');
  });

  it('treats anything unknown as transient', () => {
    expect(classifyFailure(new Error('connection reset'))).toBe('transient');
    expect(classifyFailure('a thrown string')).toBe('transient');
    expect(classifyFailure(undefined)).toBe('transient');
  });
});

describe('describeError', () => {
  it('names the error class and its message', () => {
    expect(describeError(new PermanentError('unknown ticket'))).toBe(
      'PermanentError: unknown ticket',
    );
    expect(describeError(42)).toBe('42');
  });
});
