import { SqlParameters } from '@servicedesk/platform';
import { randomUUID } from 'node:crypto';
import {
  afterCursorCondition,
  escapeLikePattern,
  ticketConditions,
  whereClause,
} from './ticket-filter';

describe('ticket filter → SQL', () => {
  it('has no condition for an empty filter and an unrestricted scope', () => {
    const params = new SqlParameters();
    expect(ticketConditions({}, {}, params)).toEqual([]);
    expect(params.values).toEqual([]);
    expect(whereClause([])).toBe('');
  });

  it('turns each criterion into one parameterised condition', () => {
    const assigneeId = randomUUID();
    const requesterId = randomUUID();
    const params = new SqlParameters();
    const conditions = ticketConditions(
      {
        status: ['OPEN', 'IN_PROGRESS'],
        priority: ['URGENT'],
        assigneeId,
        requesterId,
        tag: 'billing',
        text: 'vpn',
      },
      {},
      params,
    );
    expect(conditions).toEqual([
      't.status = ANY($1::text[])',
      't.priority = ANY($2::text[])',
      't.assignee_id = $3::uuid',
      't.requester_id = $4::uuid',
      't.tags @> ARRAY[$5::text]',
      '(t.title ILIKE $6::text OR t.description ILIKE $6::text)',
    ]);
    expect(params.values).toEqual([
      ['OPEN', 'IN_PROGRESS'],
      ['URGENT'],
      assigneeId,
      requesterId,
      'billing',
      '%vpn%',
    ]);
  });

  it('restricts a customer scope to their own tickets first, with the given alias', () => {
    const customerId = randomUUID();
    const params = new SqlParameters();
    expect(ticketConditions({ tag: 'x' }, { requesterId: customerId }, params, 'r')).toEqual([
      'r.requester_id = $1::uuid',
      'r.tags @> ARRAY[$2::text]',
    ]);
    expect(params.values).toEqual([customerId, 'x']);
  });

  it('ignores empty status and priority lists', () => {
    const params = new SqlParameters();
    expect(ticketConditions({ status: [], priority: [] }, {}, params)).toEqual([]);
  });

  it('matches text literally, escaping LIKE wildcards', () => {
    expect(escapeLikePattern('100%_done\\now')).toBe('100\\%\\_done\\\\now');
    const params = new SqlParameters();
    ticketConditions({ text: '50%' }, {}, params);
    expect(params.values).toEqual(['%50\\%%']);
  });

  it('continues strictly after the cursor in (created_at, id) order', () => {
    const cursor = { createdAt: new Date('2025-01-01T00:00:00.000Z'), id: randomUUID() };
    const params = new SqlParameters();
    params.add('earlier');
    expect(afterCursorCondition(cursor, params)).toBe(
      '(t.created_at, t.id) < ($2::timestamptz, $3::uuid)',
    );
    expect(params.values).toEqual(['earlier', cursor.createdAt, cursor.id]);
    expect(whereClause(['a', 'b'])).toBe('WHERE a AND b');
  });
});
