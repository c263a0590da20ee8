import { Message } from 'amqplib';
import { headerCount } from './amqp-messages';

function aMessageWithHeaders(headers: Record<string, unknown>): Message {
  return {
    content: Buffer.from('{}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' },
    properties: { headers } as Message['properties'],
  };
}

describe('headerCount', () => {
  it('reads a positive integer, also when AMQP hands it back as text', () => {
    expect(headerCount(aMessageWithHeaders({ 'x-attempt': 3 }), 'x-attempt')).toBe(3);
    expect(headerCount(aMessageWithHeaders({ 'x-attempt': '2' }), 'x-attempt')).toBe(2);
    expect(headerCount(aMessageWithHeaders({ 'x-attempt': Buffer.from('4') }), 'x-attempt')).toBe(
      4,
    );
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 60, 'two', '', true])('rejects %p as a count', (value) => {
    expect(headerCount(aMessageWithHeaders({ 'x-attempt': value }), 'x-attempt')).toBeNull();
  });

  it('is null when the header is absent', () => {
    expect(headerCount(aMessageWithHeaders({}), 'x-attempt')).toBeNull();
  });
});
