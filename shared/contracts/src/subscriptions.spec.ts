import { EVENT_TYPES, isEventType } from './events';
import { SUBSCRIPTIONS, consumingServiceOf } from './subscriptions';

const CONSUMING_SERVICES = ['ticket', 'appointment', 'audit', 'notification'];
const queues = Object.entries(SUBSCRIPTIONS);

describe('SUBSCRIPTIONS', () => {
  it.each(queues)('%s is named <consuming service>.<purpose>', (queue) => {
    expect(queue).toMatch(/^[a-z]+\.[a-z][a-z-]*$/);
    expect(CONSUMING_SERVICES).toContain(consumingServiceOf(queue));
  });

  it.each(queues)('%s binds known event types, each once', (_queue, events) => {
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(isEventType(event)).toBe(true);
    expect(new Set(events).size).toBe(events.length);
  });

  it('routes every event type somewhere (audit logs them all)', () => {
    const bound = new Set(queues.flatMap(([, events]) => events));
    expect([...EVENT_TYPES].filter((type) => !bound.has(type))).toEqual([]);
  });

  it('keeps a service from consuming its own events', () => {
    for (const [queue, events] of queues) {
      const service = consumingServiceOf(queue);
      expect(events.filter((event) => event.startsWith(`${service}.`))).toEqual([]);
    }
  });
});
