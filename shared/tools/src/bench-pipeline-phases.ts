import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RELAY_OPTIONS } from '@servicedesk/messaging';
import { Actor, GatewayClient } from './bench-client';
import { runOpenLoop } from './bench-pipeline-load';
import { ConfirmedPublisher, EventTap, busyQueues } from './bench-pipeline-broker';
import { TICKET_CREATED, TICKET_SERVICE, ticketCreatedEnvelopes } from './bench-pipeline-envelopes';
import { PipelineDatabase } from './bench-pipeline-database';
import { PipelineMailSink } from './bench-pipeline-mail';
import {
  DrainFigures,
  LoadAverage,
  RateFigures,
  RelayFigures,
  Stage,
} from './bench-pipeline-report';
import { PipelineStack, consumersOf } from './bench-pipeline-stack';
import {
  PhaseWindow,
  StageFigures,
  StageSample,
  drainRate,
  stageFigures,
} from './bench-pipeline-stats';
import { perSecond, summarizeLatencies } from './bench-stats';

/**
 * The three measurements of the pipeline benchmark against a running stack: lag per stage at
 * a fixed open-loop rate, the consumers draining a backlog published while they were stopped,
 * and the outbox relay draining rows written while its service was stopped beside a plain
 * publisher-confirm loop.
 */

/** Requests a rate phase keeps in flight at most; later ones are shed, not queued. */
export const MAX_IN_FLIGHT = 500;
const EVENT = TICKET_CREATED;
/** The service whose outbox the relay comparison fills: the one that emits EVENT. */
const RELAY_SERVICE = TICKET_SERVICE;
const SETTLE_TIMEOUT_MS = 120_000;
const POLL_MS = 100;
/** Fine enough to time a relay draining thousands of rows a second, and cheap (a partial index). */
const RELAY_POLL_MS = 10;

const CREATE_TICKET = `mutation BenchPipelineTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id } }`;

export interface PhasesOptions {
  api: GatewayClient;
  db: PipelineDatabase;
  mail: PipelineMailSink;
  stack: PipelineStack;
  /** Customers the services know, who open the tickets and receive their notifications. */
  customers: readonly Actor[];
  rabbitmqUrl: string;
  vhost: string;
  signal: AbortSignal;
  say(line: string): void;
}

function loadNow(): LoadAverage {
  const [one, five, fifteen] = loadavg();
  return [one, five, fifteen];
}

/** When each stage had each event, by event id (epoch ms). */
interface Reached {
  audited: Map<string, number>;
  inApp: Map<string, number>;
  /** When the SMTP server accepted the event's email. */
  emailed: Map<string, number>;
}

export class PipelinePhases {
  constructor(private readonly options: PhasesOptions) {}

  /** Polls `done` every `intervalMs` until it is true (→ true) or `timeoutMs` passed (→ false). */
  private async until(done: () => Promise<boolean>, timeoutMs: number, intervalMs = POLL_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await done()) return true;
      if (Date.now() > deadline) return false;
      await sleep(intervalMs, undefined, { signal: this.options.signal });
    }
  }

  /**
   * `until`, started now and awaited later, with when it ended (epoch ms). Should what runs
   * meanwhile fail, the watch's own end goes unheard rather than unhandled.
   */
  private watch(
    done: () => Promise<boolean>,
    timeoutMs: number,
    intervalMs = POLL_MS,
  ): Promise<{ done: boolean; at: number }> {
    const watching = this.until(done, timeoutMs, intervalMs).then((ok) => ({
      done: ok,
      at: Date.now(),
    }));
    watching.catch(() => undefined);
    return watching;
  }

  /**
   * Waits until no outbox holds a row and no queue a message, so the next measurement starts
   * from rest; returns what was still busy if that did not happen in time, else null.
   */
  async settle(): Promise<string | null> {
    const { db, vhost } = this.options;
    let busy: string[] = [];
    const quiet = await this.until(
      async () => {
        const pending = await db.pendingEvents();
        busy = pending > 0 ? [`outboxes: ${pending} rows`] : await busyQueues(vhost);
        return busy.length === 0;
      },
      SETTLE_TIMEOUT_MS,
      500,
    );
    return quiet ? null : `still busy after ${SETTLE_TIMEOUT_MS / 1000} s (${busy.join(', ')})`;
  }

  /** When each stage had each of `eventIds`, as far as they got. */
  private async reached(eventIds: readonly string[]): Promise<Reached> {
    const { db, mail } = this.options;
    // One session, one query at a time.
    const audited = await db.auditedAt(eventIds);
    const inApp = await db.inAppCreatedAt(eventIds);
    const emails = await db.emailNotifications(eventIds);
    const emailed = new Map<string, number>();
    for (const [notificationId, acceptedAt] of mail.acceptedAt(new Set(emails.keys()))) {
      const eventId = emails.get(notificationId)!;
      emailed.set(eventId, Math.min(acceptedAt, emailed.get(eventId) ?? Infinity));
    }
    return { audited, inApp, emailed };
  }

  /** Whether every stage has every one of `eventIds` (one email each). */
  private async allReached(eventIds: readonly string[]): Promise<boolean> {
    const counts = await this.options.db.counts(eventIds);
    const n = eventIds.length;
    if (counts.audited < n || counts.inApp < n || counts.emails < n) return false;
    return (await this.reached(eventIds)).emailed.size >= n;
  }

  /** createTicket at `rate` per second for `durationMs`, and the lag of each stage behind it. */
  async atRate(rate: number, durationMs: number): Promise<RateFigures> {
    const { api, customers, rabbitmqUrl, signal, say } = this.options;
    const tap = await EventTap.open(rabbitmqUrl, EVENT);
    try {
      const tag = randomUUID().slice(0, 8);
      const created: string[] = [];
      say(`${rate} tickets/s for ${durationMs / 1000} s`);
      const loop = await runOpenLoop({
        rate,
        durationMs,
        maxInFlight: MAX_IN_FLIGHT,
        signal,
        operation: async (index) => {
          const { createTicket } = await api.call<{ createTicket: { id: string } }>(
            CREATE_TICKET,
            {
              input: {
                title: `Pipeline ${rate}/s #${index + 1} ${tag}`,
                description: 'The printer on the second floor prints blank pages.',
                priority: 'NORMAL',
                tags: ['bench'],
              },
            },
            customers[index % customers.length].token,
          );
          created.push(createTicket.id);
        },
      });
      const load = loadNow();

      const timeoutMs = 60_000 + 20 * created.length;
      const eventIds = () => created.flatMap((id) => tap.events.get(id)?.eventId ?? []);
      const done = await this.until(async () => {
        const ids = eventIds();
        return ids.length === created.length && this.allReached(ids);
      }, timeoutMs);
      if (!done) say(`${rate}/s: not every stage had every event after ${timeoutMs / 1000} s`);

      const tapped = created.flatMap((id) => tap.events.get(id) ?? []);
      const reached = await this.reached(tapped.map((event) => event.eventId));
      const window: PhaseWindow = {
        startedAt: loop.startedAt,
        durationMs,
        lastAnswerAt: loop.lastAnswerAt,
      };
      const stage = (reachedAt: (eventId: string, arrivedAt: number) => number | undefined) => {
        const samples: StageSample[] = tapped.flatMap(({ eventId, occurredAt, arrivedAt }) => {
          const at = reachedAt(eventId, arrivedAt);
          return at === undefined ? [] : [{ occurredAt, reachedAt: at }];
        });
        return stageFigures(samples, created.length, window, timeoutMs);
      };
      const stages: Record<Stage, StageFigures> = {
        published: stage((_, arrivedAt) => arrivedAt),
        audited: stage((eventId) => reached.audited.get(eventId)),
        inApp: stage((eventId) => reached.inApp.get(eventId)),
        emailed: stage((eventId) => reached.emailed.get(eventId)),
      };
      return {
        rate,
        seconds: durationMs / 1000,
        createTicket: {
          started: loop.started,
          ok: loop.latenciesMs.length,
          errors: loop.errors,
          shed: loop.shed,
          firstError: loop.firstError,
          achievedPerSecond: perSecond(loop.latenciesMs.length, durationMs),
          latencyMs: summarizeLatencies(loop.latenciesMs),
        },
        stages,
        grew: Object.values(stages).some((figures) => figures.growing),
        load,
      };
    } finally {
      await tap.close();
    }
  }

  /**
   * Stops every consumer of ticket.created, publishes `count` of them straight to the events
   * exchange with confirms, starts the consumers again and times each stage through the backlog.
   */
  async drainBacklog(count: number): Promise<DrainFigures> {
    const { stack, rabbitmqUrl, say } = this.options;
    const consumers = consumersOf(EVENT);
    await stack.stop(consumers);
    const envelopes = ticketCreatedEnvelopes(this.options.customers, count);
    const publisher = await ConfirmedPublisher.open(rabbitmqUrl);
    try {
      const published = await publisher.publish(envelopes, DEFAULT_RELAY_OPTIONS.batchSize);
      if (published.returned > 0) {
        throw new Error(`the broker returned ${published.returned} of the backlog as unroutable`);
      }
    } finally {
      await publisher.close();
    }
    say(`${count} ${EVENT} wait in the queues of ${consumers.join(', ')}; starting them`);
    const startedAt = Date.now();
    const eventIds = envelopes.map((envelope) => envelope.id);
    const timeoutMs = 60_000 + 50 * count;
    // Watched from before the start: the consumers may be at work before they report ready.
    const finished = this.watch(() => this.allReached(eventIds), timeoutMs);
    await stack.resume(consumers);
    const { done, at: doneAt } = await finished;
    const load = loadNow();
    if (!done) say(`backlog: not every stage had every event after ${timeoutMs / 1000} s`);
    const reached = await this.reached(eventIds);
    return {
      events: count,
      audited: drainRate([...reached.audited.values()]),
      inApp: drainRate([...reached.inApp.values()]),
      emailed: drainRate([...reached.emailed.values()]),
      wallSeconds: (doneAt - startedAt) / 1000,
      load,
    };
  }

  /**
   * Writes `count` rows to the ticket service's outbox while it is stopped, starts it and
   * times its relay until every row is PUBLISHED; then publishes the same messages with a
   * plain confirm loop in batches of the relay's size. The consumers are stopped meanwhile,
   * so neither publisher shares the CPU with them; a queue of the benchmark's own is bound,
   * so every message is routed, and purged after.
   */
  async relayVersusRaw(count: number): Promise<RelayFigures> {
    const { stack, db, rabbitmqUrl, say } = this.options;
    const batchSize = DEFAULT_RELAY_OPTIONS.batchSize;
    await stack.stop([...consumersOf(EVENT), RELAY_SERVICE]);
    const publisher = await ConfirmedPublisher.open(rabbitmqUrl);
    try {
      const sink = await publisher.bindQueue(EVENT);
      const envelopes = ticketCreatedEnvelopes(this.options.customers, count);
      const ids = envelopes.map((envelope) => envelope.id);
      await db.insertOutboxRows(RELAY_SERVICE, envelopes);
      say(`${count} rows wait in the ${RELAY_SERVICE} outbox; starting ${RELAY_SERVICE}`);
      const timeoutMs = 60_000 + 20 * count;
      // Watched from before the start: the relay may be done before the service reports ready.
      const finished = this.watch(
        async () => (await db.pendingIn(RELAY_SERVICE)) === 0,
        timeoutMs,
        RELAY_POLL_MS,
      );
      await stack.resume([RELAY_SERVICE]);
      const { done: drained, at: drainedAt } = await finished;
      const { published, firstRoundAt } = await db.published(RELAY_SERVICE, ids);
      if (!drained || published !== count || firstRoundAt === null) {
        throw new Error(
          `the relay published ${published} of ${count} rows within ${timeoutMs / 1000} s`,
        );
      }

      say(`the same ${count} messages through a plain confirm loop`);
      const raw = await publisher.publish(envelopes, batchSize);
      const load = loadNow();
      if (raw.returned > 0) throw new Error(`the broker returned ${raw.returned} raw publishes`);
      await publisher.removeQueue(sink);

      const relaySeconds = (drainedAt - firstRoundAt) / 1000;
      const rawSeconds = (raw.endedAt - raw.startedAt) / 1000;
      const relayPerSecond = perSecond(count, drainedAt - firstRoundAt);
      const rawPerSecond = perSecond(count, raw.endedAt - raw.startedAt);
      return {
        rows: count,
        batchSize,
        relaySeconds,
        relayPerSecond,
        rawSeconds,
        rawPerSecond,
        ratio: rawPerSecond > 0 ? relayPerSecond / rawPerSecond : 0,
        load,
      };
    } finally {
      await publisher.close();
    }
  }
}
