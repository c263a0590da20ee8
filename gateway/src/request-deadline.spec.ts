import { RequestDeadline } from './request-deadline';

describe('RequestDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives a call its own timeout while the deadline is far', () => {
    const deadline = new RequestDeadline(12_000);

    expect(deadline.budgetFor(10_000)).toBe(10_000);
  });

  it('gives a later call only what is left, ending half a second before the deadline', () => {
    const deadline = new RequestDeadline(12_000);

    jest.advanceTimersByTime(7_000);

    expect(deadline.budgetFor(10_000)).toBe(4_500);
    expect(deadline.elapsedMs()).toBe(7_000);
  });

  it('keeps a tenth of a short deadline for the answer', () => {
    const deadline = new RequestDeadline(1_000);

    expect(deadline.budgetFor(5_000)).toBe(900);
  });

  it('has no time left for calls once the answer must be assembled', () => {
    const deadline = new RequestDeadline(1_000);

    jest.advanceTimersByTime(900);

    expect(deadline.budgetFor(5_000)).toBeLessThanOrEqual(0);
  });

  it('lists the calls still pending and for how long', () => {
    const deadline = new RequestDeadline(12_000);
    const ticketDone = deadline.begin('ticket');
    jest.advanceTimersByTime(300);
    deadline.begin('user');
    jest.advanceTimersByTime(200);
    ticketDone();

    expect(deadline.pendingCalls()).toEqual([{ call: 'user', forMs: 200 }]);
  });

  it('reports a cut once per request', () => {
    const deadline = new RequestDeadline(12_000);

    expect([deadline.firstCut(), deadline.firstCut()]).toEqual([true, false]);
  });
});
