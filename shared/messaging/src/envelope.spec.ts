import { randomUUID } from 'node:crypto';
import { ContractViolationError, EVENT_VERSION } from '@servicedesk/contracts';
import { RequestContext } from '@servicedesk/platform';
import { NewEvent, buildEnvelope } from './envelope';

function aRoleChange(
  overrides: Partial<NewEvent<'user.role_changed'>> = {},
): NewEvent<'user.role_changed'> {
  const userId = randomUUID();
  return {
    type: 'user.role_changed',
    aggregateId: userId,
    payload: { userId, previousRole: 'CUSTOMER', role: 'AGENT' },
    ...overrides,
  };
}

function aRequest(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    correlationId: randomUUID(),
    identity: { userId: randomUUID(), role: 'ADMIN' },
    ...overrides,
  };
}

describe('buildEnvelope', () => {
  it('fills in id, version, time, source and the aggregate type from the event type', () => {
    const now = new Date('2030-01-02T03:04:05.000Z');
    const event = aRoleChange();
    const envelope = buildEnvelope(event, { source: 'user', context: aRequest(), now });
    expect(envelope).toMatchObject({
      type: 'user.role_changed',
      version: EVENT_VERSION,
      occurredAt: '2030-01-02T03:04:05.000Z',
      source: 'user',
      aggregateType: 'user',
      aggregateId: event.aggregateId,
      payload: event.payload,
    });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes actor and correlation id from the request', () => {
    const request = aRequest();
    const envelope = buildEnvelope(aRoleChange(), { source: 'user', context: request });
    expect(envelope.actor).toEqual({ id: request.identity!.userId, role: request.identity!.role });
    expect(envelope.correlationId).toBe(request.correlationId);
  });

  it('uses a null actor and a fresh correlation id outside a request', () => {
    const first = buildEnvelope(aRoleChange(), { source: 'user', context: undefined });
    const second = buildEnvelope(aRoleChange(), { source: 'user', context: undefined });
    expect(first.actor).toBeNull();
    expect(first.correlationId).not.toBe(second.correlationId);
  });

  it('lets the caller set the actor, including null for the system', () => {
    const actor = { id: randomUUID(), role: 'AGENT' as const };
    expect(
      buildEnvelope(aRoleChange({ actor }), { source: 'user', context: aRequest() }).actor,
    ).toEqual(actor);
    expect(
      buildEnvelope(aRoleChange({ actor: null }), { source: 'user', context: aRequest() }).actor,
    ).toBeNull();
  });

  it('rejects a payload that breaks the contract', () => {
    const invalid = aRoleChange({
      payload: { userId: 'not-a-uuid', previousRole: 'CUSTOMER', role: 'AGENT' },
    });
    expect(() => buildEnvelope(invalid, { source: 'user', context: undefined })).toThrow(
      ContractViolationError,
    );
  });
});
