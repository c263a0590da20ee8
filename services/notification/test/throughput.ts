/**
 * How fast the notification service works off a backlog: `EVENTS` ticket.created events (one
 * in-app notification and one email each) are queued while the service is stopped, then it
 * starts and the in-app rows and the emails accepted by a local SMTP server are counted over
 * time. Not a test: a measurement, printed as a table. Run it with
 *
 *     npm run build
 *     npx tsc --outDir /tmp/notification-throughput --rootDir services/notification \
 *       --module commonjs --target es2022 --esModuleInterop --experimentalDecorators \
 *       --emitDecoratorMetadata --skipLibCheck --types node services/notification/test/throughput.ts
 *     cp services/notification/src/schema.graphql /tmp/notification-throughput/src/
 *     NODE_PATH=node_modules node /tmp/notification-throughput/test/throughput.js \
 *       [events=2000] [people=50] [smtp pool size=10]
 *
 * The SMTP server runs in the same process (it parses every mail), so the email figure is
 * on the low side of what a separate mail server would allow.
 */
import { randomUUID } from 'node:crypto';
import { anEvent } from '@servicedesk/testing';
import { Person, startNotificationService } from './notification-service.fixture';

const EVENTS = Number(process.argv[2] ?? 2000);
const PEOPLE = Number(process.argv[3] ?? 50);
const SMTP_POOL_SIZE = process.argv[4] ?? '10';
const POLL_MS = 50;

interface Progress {
  inApp: number;
  emails: number;
}

async function main(): Promise<void> {
  const service = await startNotificationService({ NOTIFICATION_SMTP_POOL_SIZE: SMTP_POOL_SIZE });
  try {
    const people: Person[] = [];
    for (let n = 0; n < PEOPLE; n += 1) people.push(await service.registerPerson('CUSTOMER'));
    const registered = await progress();
    await service.stop();

    for (let n = 0; n < EVENTS; n += 1) {
      const requester = people[n % people.length];
      const ticketId = randomUUID();
      await service.publish(
        anEvent('ticket.created', {
          aggregateId: ticketId,
          actor: { id: requester.userId, role: 'CUSTOMER' },
          payload: { ticketId, requesterId: requester.userId, title: `Backlog ${n}` },
        }),
      );
    }

    const started = performance.now();
    await service.restart();
    let inAppDoneMs: number | undefined;
    let emailsDoneMs: number | undefined;
    while (inAppDoneMs === undefined || emailsDoneMs === undefined) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const now = await progress();
      const elapsed = performance.now() - started;
      if (inAppDoneMs === undefined && now.inApp - registered.inApp >= EVENTS)
        inAppDoneMs = elapsed;
      if (emailsDoneMs === undefined && now.emails - registered.emails >= EVENTS) {
        emailsDoneMs = elapsed;
      }
      if (elapsed > 600_000) throw new Error(`not done after 10 minutes: ${JSON.stringify(now)}`);
    }
    const rate = (ms: number) => Math.round((EVENTS * 1000) / ms);
    process.stdout.write(
      [
        `backlog of ${EVENTS} ticket.created for ${PEOPLE} people (SMTP pool ${service.config.NOTIFICATION_SMTP_POOL_SIZE})`,
        `| what                 | all done after | per second |`,
        `| -------------------- | -------------- | ---------- |`,
        `| in-app rows stored   | ${(inAppDoneMs / 1000).toFixed(2).padStart(12)} s | ${String(rate(inAppDoneMs)).padStart(10)} |`,
        `| emails accepted      | ${(emailsDoneMs / 1000).toFixed(2).padStart(12)} s | ${String(rate(emailsDoneMs)).padStart(10)} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await service.close();
  }

  async function progress(): Promise<Progress> {
    const { rows } = await service.db.query<Progress>(
      `SELECT count(*) FILTER (WHERE channel = 'IN_APP')::int AS "inApp",
              count(*) FILTER (WHERE channel = 'EMAIL' AND status = 'SENT')::int AS emails
       FROM notification.notifications`,
    );
    return rows[0];
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
