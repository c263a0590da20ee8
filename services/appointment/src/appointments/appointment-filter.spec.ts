import { SqlParameters } from '@servicedesk/platform';
import { randomUUID } from 'node:crypto';
import { afterCursorCondition, appointmentConditions, whereClause } from './appointment-filter';

describe('appointment filter → SQL', () => {
  it('has no condition for an empty filter and an unrestricted scope', () => {
    const params = new SqlParameters();
    expect(appointmentConditions({}, {}, params)).toEqual([]);
    expect(whereClause([])).toBe('');
  });

  it('puts the scope first, then each criterion as one parameterised condition', () => {
    const [me, agentId, customerId, ticketId] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    const from = new Date('2030-01-01T00:00:00.000Z');
    const to = new Date('2030-02-01T00:00:00.000Z');
    const params = new SqlParameters();
    expect(
      appointmentConditions(
        { status: ['CONFIRMED', 'NO_SHOW'], agentId, customerId, ticketId, from, to },
        { customerId: me },
        params,
      ),
    ).toEqual([
      'a.customer_id = $1::uuid',
      'a.status = ANY($2::text[])',
      'a.agent_id = $3::uuid',
      'a.customer_id = $4::uuid',
      'a.ticket_id = $5::uuid',
      'a.starts_at >= $6::timestamptz',
      'a.starts_at < $7::timestamptz',
    ]);
    expect(params.values).toEqual([
      me,
      ['CONFIRMED', 'NO_SHOW'],
      agentId,
      customerId,
      ticketId,
      from,
      to,
    ]);
  });

  it('continues strictly after the cursor in (starts_at, id) order', () => {
    const cursor = { startsAt: new Date('2030-01-01T09:00:00.000Z'), id: randomUUID() };
    const params = new SqlParameters();
    expect(afterCursorCondition(cursor, params, 'x')).toBe(
      '(x.starts_at, x.id) > ($1::timestamptz, $2::uuid)',
    );
    expect(params.values).toEqual([cursor.startsAt, cursor.id]);
  });
});
