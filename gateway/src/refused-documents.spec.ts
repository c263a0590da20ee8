import { RefusedDocumentBlocks } from './refused-documents';

describe('RefusedDocumentBlocks', () => {
  let now: number;
  const blocks = () => new RefusedDocumentBlocks(() => now);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets an address through that was never blocked', () => {
    expect(blocks().retryAfterSeconds('192.0.2.1')).toBeNull();
  });

  it('answers the whole seconds left of a blocked address, then lets it through once the window ended', () => {
    const store = blocks();
    store.block('192.0.2.1', { limit: 'anonymous', retryAfterSeconds: 30 });

    now += 10_500;
    expect(store.retryAfterSeconds('192.0.2.1')).toBe(20);
    expect(store.retryAfterSeconds('192.0.2.2')).toBeNull();
    now += 19_500;
    expect(store.retryAfterSeconds('192.0.2.1')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('counts an IPv6 /64 and an IPv4-mapped address as the rate limits do', () => {
    const store = blocks();
    store.block('2001:db8:1:2::5', { limit: 'anonymous', retryAfterSeconds: 5 });
    store.block('::ffff:198.51.100.7', { limit: 'anonymous', retryAfterSeconds: 5 });

    expect(store.retryAfterSeconds('2001:db8:1:2:ffff::1')).toBe(5);
    expect(store.retryAfterSeconds('198.51.100.7')).toBe(5);
  });

  it('remembers at most 10,000 addresses, forgetting the oldest blocks first', () => {
    const store = blocks();
    for (let index = 0; index <= 10_000; index += 1) {
      store.block(`10.0.${Math.floor(index / 256)}.${index % 256}`, {
        limit: 'anonymous',
        retryAfterSeconds: 60,
      });
    }

    expect(store.size).toBe(10_000);
    expect(store.retryAfterSeconds('10.0.0.0')).toBeNull();
    expect(store.retryAfterSeconds('10.0.39.16')).toBe(60);
  });
});
