import { messageTraceHeaders, newTraceparent } from './trace-context';

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-00$/;

describe('newTraceparent', () => {
  it('starts a new W3C trace with random ids', () => {
    const [first, second] = [newTraceparent(), newTraceparent()];
    expect(first).toMatch(TRACEPARENT);
    expect(second).toMatch(TRACEPARENT);
    expect(second.slice(3, 35)).not.toBe(first.slice(3, 35));
  });
});

describe('messageTraceHeaders', () => {
  it('carries a traceparent when no span is active', () => {
    expect(messageTraceHeaders().traceparent).toMatch(TRACEPARENT);
  });
});
