import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@servicedesk/testing';
import { aUserRegistered } from './support/events';
import {
  MessagingHarness,
  TEST_SCHEMA,
  counterValue,
  effectRecorder,
} from './support/messaging-harness';

const FIXTURE = join(__dirname, 'fixtures', 'crashing-relay.js');
const BUILT_PACKAGE = join(__dirname, '..', 'dist', 'index.js');
const QUEUE = 'messaging-test.effects';

function runCrashingRelay(
  databaseUrl: string,
  rabbitmqUrl: string,
): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, databaseUrl, rabbitmqUrl, TEST_SCHEMA], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0)
        reject(new Error(`crashing relay failed (${code}): ${stderr}`));
      else resolve(signal ?? code);
    });
  });
}

describe('outbox relay: killed between publishing and marking', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_PACKAGE))
      throw new Error('build the package first: npx tsc -b shared/messaging');
  });
  const harness = MessagingHarness.forTests();

  it('publishes the event again after the crash, and the consumer applies its effect once', async () => {
    const { metrics } = await harness.startConsumer([
      { queue: QUEUE, events: ['user.registered'], handler: effectRecorder(QUEUE) },
    ]);
    let eventId = '';
    await harness.unitOfWork().run(async (tx) => {
      eventId = (await tx.emit(aUserRegistered())).id;
    });

    expect(await runCrashingRelay(harness.database.url, harness.vhost.url)).toBe('SIGKILL');

    // The broker had confirmed it, so it was delivered; the outbox never heard of it.
    await waitFor(async () => (await harness.effectCount(eventId)) === 1, {
      description: 'the first delivery',
    });
    expect((await harness.outboxRows()).find((row) => row.id === eventId)).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });

    await harness.startRelay();

    await waitFor(
      async () =>
        (await counterValue(metrics, 'messaging_consumed_total', {
          queue: QUEUE,
          outcome: 'duplicate',
        })) === 1,
      {
        description: 'the second delivery to be recognised as a duplicate',
      },
    );
    // Marked once the broker confirmed it, which may be after the consumer already had it.
    await waitFor(
      async () =>
        (await harness.outboxRows()).find((row) => row.id === eventId)?.status === 'PUBLISHED',
      { description: 'the row to be marked PUBLISHED' },
    );
    expect(
      await counterValue(metrics, 'messaging_consumed_total', {
        queue: QUEUE,
        outcome: 'processed',
      }),
    ).toBe(1);
    expect(await harness.effectCount(eventId)).toBe(1);
  });
});
