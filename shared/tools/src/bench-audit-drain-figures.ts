import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@servicedesk/contracts';
import { buildEnvelope } from '@servicedesk/messaging';
import { ticketCreatedEnvelopes } from './bench-pipeline-envelopes';

/**
 * The audit drain benchmark's backlog and arithmetic: the events it queues for the audit
 * service, and what its samples of the drain come to.
 */

/** notification.sent per ticket.created, as in the pipeline: the in-app row and the email. */
const CHANNELS = ['IN_APP', 'EMAIL'] as const;

/**
 * `tickets` ticket.created (whose title is personal data, sealed under the requester's key)
 * opened in turn by `people`, each followed by the notification.sent of its in-app
 * notification and of its email, the mix the audit log receives from the pipeline.
 */
export function auditBacklog(people: readonly string[], tickets: number): EventEnvelope[] {
  return ticketCreatedEnvelopes(
    people.map((id) => ({ id })),
    tickets,
  ).flatMap((created) => [
    created,
    ...CHANNELS.map((channel) => {
      const notificationId = randomUUID();
      return buildEnvelope(
        {
          type: 'notification.sent',
          aggregateId: notificationId,
          actor: null,
          payload: {
            notificationId,
            recipientId: created.payload.requesterId,
            channel,
            sourceEventId: created.id,
          },
        },
        { source: 'notification', context: undefined },
      );
    }),
  ]);
}

/** One look at the drain: entries recorded so far, and CPU used so far (ms). */
export interface DrainSample {
  at: number;
  recorded: number;
  auditCpuMs: number;
  databaseCpuMs: number;
}

export interface DrainFigures {
  /** Entries recorded between the first sample that saw one and the end. */
  events: number;
  seconds: number;
  perSecond: number;
  /** CPU seconds per 1,000 entries, over the same window. */
  auditCpuPerThousand: number;
  databaseCpuPerThousand: number;
}

/**
 * Figures of a drain from its samples, in time order, the last one taken when every entry was
 * recorded. The window opens at the first sample that saw an entry, so the process's start is
 * left out (and so are the entries recorded before it: a sample every few tens of ms).
 */
export function drainFigures(samples: readonly DrainSample[]): DrainFigures {
  const first = samples.find((sample) => sample.recorded > 0);
  const last = samples[samples.length - 1];
  if (!first || !last || last === first) {
    throw new Error('the drain was over before two samples saw it: queue more events');
  }
  const events = last.recorded - first.recorded;
  const seconds = (last.at - first.at) / 1000;
  const perThousand = (cpuMs: number) => cpuMs / events;
  return {
    events,
    seconds,
    perSecond: events / seconds,
    auditCpuPerThousand: perThousand(last.auditCpuMs - first.auditCpuMs),
    databaseCpuPerThousand: perThousand(last.databaseCpuMs - first.databaseCpuMs),
  };
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
