import { platformQueues } from '@servicedesk/messaging';
import { matchRegistryQueues } from './chaos-probe';

describe('matchRegistryQueues', () => {
  const planned = platformQueues().filter((queue) => queue.workQueue === 'audit.events');

  it("takes the registry's queues from the broker's listing, leaving out queues the registry does not have", () => {
    const listed = [
      ...planned.map((queue, i) => ({ name: queue.name, messages: i })),
      { name: 'audit.events.migrating', messages: 4 },
    ];

    expect(matchRegistryQueues(planned, listed)).toEqual({
      depths: planned.map((queue, i) => ({ name: queue.name, messages: i })),
      missing: [],
    });
  });

  it('names the queues of the registry the broker does not have', () => {
    const listed = [{ name: 'audit.events', messages: 2 }];

    expect(matchRegistryQueues(planned, listed)).toEqual({
      depths: [{ name: 'audit.events', messages: 2 }],
      missing: planned.map((queue) => queue.name).filter((name) => name !== 'audit.events'),
    });
  });
});
