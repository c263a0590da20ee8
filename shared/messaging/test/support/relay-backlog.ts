// A backlog of outbox rows spread over aggregates, and what a recording queue must show of it.
import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@servicedesk/messaging';
import { aStatusChange } from './events';
import { RecordingQueue } from './messaging-harness';

export interface Backlog {
  ticketIds: string[];
  /** Event ids in the order they were written. */
  ids: string[];
  changesPerTicket: number;
}

/**
 * Writes `changesPerTicket` status changes (versions 1, 2, …) of each of `tickets` tickets,
 * round-robin (version 1 of every ticket, then version 2, …), 100 events per transaction.
 */
export async function writeBacklog(
  uow: UnitOfWork,
  tickets: number,
  changesPerTicket: number,
): Promise<Backlog> {
  const ticketIds = Array.from({ length: tickets }, () => randomUUID());
  const changes = Array.from({ length: changesPerTicket }, (_, v) =>
    ticketIds.map((ticketId) => ({ ticketId, version: v + 1 })),
  ).flat();
  const ids: string[] = [];
  for (let i = 0; i < changes.length; i += 100) {
    await uow.run(async (tx) => {
      for (const { ticketId, version } of changes.slice(i, i + 100))
        ids.push((await tx.emit(aStatusChange(ticketId, version))).id);
    });
  }
  return { ticketIds, ids, changesPerTicket };
}

/** The versions of `ticketId` in the order the queue first received each (repeats left out). */
export function firstDeliveries(recorder: RecordingQueue, ticketId: string): number[] {
  const seen = new Set<string>();
  const versions: number[] = [];
  for (const body of recorder.bodies()) {
    if (body.aggregateId !== ticketId || seen.has(body.id)) continue;
    seen.add(body.id);
    versions.push(body.payload.version);
  }
  return versions;
}

/** 1, 2, …, n. */
export function versionsUpTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
