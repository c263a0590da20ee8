import { z } from 'zod';
import { actorSchema, Actor } from './roles';
import { EventPayload, EventType, eventPayloadSchemas, isEventType } from './events';

/** Version of the envelope layout and of every payload schema in this package. */
export const EVENT_VERSION = 1;

const envelopeSchema = z.object({
  id: z.string().uuid(),
  type: z.string(),
  version: z.number().int().positive(),
  occurredAt: z.string().datetime({ offset: true }),
  source: z.string().min(1),
  aggregateType: z.string().min(1),
  aggregateId: z.string().min(1),
  actor: actorSchema,
  correlationId: z.string().min(1),
  payload: z.unknown(),
});

export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  source: string;
  aggregateType: string;
  aggregateId: string;
  actor: Actor;
  correlationId: string;
  payload: EventPayload<T>;
}

/** A message that does not honour its contract. Never worth a retry. */
export class ContractViolationError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(`${message}: ${issues.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** Validates an envelope and its payload against the contract of its type. */
export function parseEnvelope(raw: unknown): EventEnvelope {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    throw new ContractViolationError('invalid event envelope', describe(envelope.error));
  }
  const { type } = envelope.data;
  if (!isEventType(type)) {
    throw new ContractViolationError('unknown event type', [`type: "${type}" has no contract`]);
  }
  if (envelope.data.version !== EVENT_VERSION) {
    throw new ContractViolationError(`unsupported version of ${type}`, [
      `version: expected ${EVENT_VERSION}, got ${envelope.data.version}`,
    ]);
  }
  const payload = eventPayloadSchemas[type].safeParse(envelope.data.payload);
  if (!payload.success) {
    throw new ContractViolationError(`invalid payload for ${type}`, describe(payload.error));
  }
  return { ...envelope.data, type, payload: payload.data } as EventEnvelope;
}

/** Narrows an envelope to one event type. */
export function isEvent<T extends EventType>(
  envelope: EventEnvelope,
  type: T,
): envelope is EventEnvelope<T> {
  return envelope.type === type;
}
