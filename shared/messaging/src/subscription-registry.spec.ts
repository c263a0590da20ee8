import { subscriptionsFromRegistry } from './subscription-registry';

const registry = {
  'shop.orders': ['user.registered', 'user.erased'],
  'shop.refunds': ['user.erased'],
  'audit.events': ['user.registered'],
} as const;

describe('subscriptionsFromRegistry', () => {
  it('gives each subscription the events the registry binds to its queue', () => {
    const subscriptions = subscriptionsFromRegistry('shop', registry, [
      { queue: 'shop.orders', handler: 'orders' },
      { queue: 'shop.refunds', handler: 'refunds' },
    ]);
    expect(subscriptions).toEqual([
      { queue: 'shop.orders', events: ['user.registered', 'user.erased'], handler: 'orders' },
      { queue: 'shop.refunds', events: ['user.erased'], handler: 'refunds' },
    ]);
  });

  it.each([
    [
      'a queue missing from the registry',
      'shop.returns',
      /shop\.returns is not in the subscription registry/,
    ],
    ["another service's queue", 'audit.events', /audit\.events is a queue of the audit service/],
  ])('refuses %s', (_case, queue, problem) => {
    expect(() =>
      subscriptionsFromRegistry('shop', registry, [
        { queue: 'shop.orders', handler: 'orders' },
        { queue: 'shop.refunds', handler: 'refunds' },
        { queue, handler: 'stray' },
      ]),
    ).toThrow(problem);
  });

  it('refuses a queue of the service left without a handler', () => {
    expect(() =>
      subscriptionsFromRegistry('shop', registry, [{ queue: 'shop.orders', handler: 'orders' }]),
    ).toThrow(/shop\.refunds is in the subscription registry but has no handler/);
  });

  it('refuses a queue subscribed twice', () => {
    expect(() =>
      subscriptionsFromRegistry('shop', registry, [
        { queue: 'shop.orders', handler: 'orders' },
        { queue: 'shop.orders', handler: 'again' },
        { queue: 'shop.refunds', handler: 'refunds' },
      ]),
    ).toThrow(/shop\.orders is subscribed twice/);
  });
});
