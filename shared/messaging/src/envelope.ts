import { randomUUID } from 'node:crypto';
import {
  Actor,
  EVENT_VERSION,
  EventEnvelope,
  EventPayload,
  EventType,
  aggregateTypeOf,
  parseEnvelope,
} from '@servicedesk/contracts';
import { RequestContext } from '@servicedesk/platform';

/** What a service says when it emits an event; everything else is filled in. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  aggregateId: string;
  payload: EventPayload<T>;
  /** Defaults to the part of the type before the dot (`ticket.assigned` → `ticket`). */
  aggregateType?: string;
  /** Defaults to the identity of the current request; `null` means the system itself. */
  actor?: Actor;
}

export interface EnvelopeDefaults {
  source: string;
  context: RequestContext | undefined;
  now?: Date;
  id?: string;
}

/**
 * Builds the envelope of a new event and validates it against its contract, so an event
 * that breaks its contract fails where it is written instead of where it is consumed.
 * Throws `ContractViolationError`.
 */
export function buildEnvelope<T extends EventType>(
  event: NewEvent<T>,
  defaults: EnvelopeDefaults,
): EventEnvelope<T> {
  const identity = defaults.context?.identity ?? null;
  const actor: Actor =
    event.actor !== undefined
      ? event.actor
      : identity
        ? { id: identity.userId, role: identity.role }
        : null;
  const envelope = {
    id: defaults.id ?? randomUUID(),
    type: event.type,
    version: EVENT_VERSION,
    occurredAt: (defaults.now ?? new Date()).toISOString(),
    source: defaults.source,
    aggregateType: event.aggregateType ?? aggregateTypeOf(event.type),
    aggregateId: event.aggregateId,
    actor,
    correlationId: defaults.context?.correlationId ?? randomUUID(),
    payload: event.payload,
  };
  return parseEnvelope(envelope) as EventEnvelope<T>;
}
