import { BackoffPolicy, backoffDelayMs } from '@servicedesk/messaging';
import type { NotificationConfig } from '../config';
import type { RetryPolicy } from './email-delivery.service';

/**
 * Retries of emails sent outside a message's handling (the release loop, an admin's retry):
 * the consumers' budget and backoff, so an email gets the same chances whichever path
 * sends it.
 */
export function releaseRetryPolicy(
  config: Pick<
    NotificationConfig,
    'CONSUMER_MAX_ATTEMPTS' | 'CONSUMER_RETRY_BASE_MS' | 'CONSUMER_RETRY_MAX_MS'
  >,
): RetryPolicy {
  const backoff: BackoffPolicy = {
    baseMs: config.CONSUMER_RETRY_BASE_MS,
    maxMs: config.CONSUMER_RETRY_MAX_MS,
    jitter: 0.2,
  };
  return {
    finalAttempt: (attempts) => attempts >= config.CONSUMER_MAX_ATTEMPTS,
    nextAttemptAt: (attempts, now) => new Date(now.getTime() + backoffDelayMs(attempts, backoff)),
  };
}
