import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  CircuitBreakers,
  DependencyBreaker,
  LOGGER,
  Logger,
  METRICS_REGISTRY,
} from '@servicedesk/platform';
import { Transporter, createTransport } from 'nodemailer';
import { Registry } from 'prom-client';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { emailLeaseTimes } from './email-lease';
import { messageIdOf, senderDomain } from './message-id';
import { classifySmtpFailure } from './smtp-failure';

/** The SMTP server's breaker, as named in metrics, logs and the reason of an email not sent. */
export const SMTP_DEPENDENCY = 'smtp';

export interface OutgoingEmail {
  /** The notification it delivers: names the Message-ID, the same on every send of it. */
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends email over SMTP (`SMTP_URL`) through a pool of up to `NOTIFICATION_SMTP_POOL_SIZE`
 * connections, each kept open for `NOTIFICATION_SMTP_MAX_MESSAGES_PER_CONNECTION` messages,
 * so a mail costs one conversation and not a connection, greeting and goodbye of its own.
 * A send, whatever phase it is in (waiting for a pooled connection, connecting, greeting, a
 * server trickling its reply), is aborted at its deadline, which closes the connection it
 * was using: an email's lease (`email-lease.ts`) is only sound because no send outlives it.
 * A pooled connection that breaks mid-conversation puts its message back in the pool's
 * queue for another connection, within the same deadline; the mail was not accepted, so it
 * goes once (a server that accepted it and lost the reply gets it again with the same
 * Message-ID, as after a lapsed lease). Sends go through the
 * server's circuit breaker: while it is open, a send fails at once without contacting the
 * server, a transient failure the email is retried after as from any other. A permanent
 * refusal (5xx, such as an unknown recipient) shows the server working and never opens it.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly domain: string;
  private readonly deadlineMs: number;
  private readonly breaker: DependencyBreaker;

  constructor(
    @Inject(NOTIFICATION_CONFIG) config: NotificationConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.transport = createTransport({
      url: config.SMTP_URL,
      pool: true,
      maxConnections: config.NOTIFICATION_SMTP_POOL_SIZE,
      maxMessages: config.NOTIFICATION_SMTP_MAX_MESSAGES_PER_CONNECTION,
    });
    this.breaker = new CircuitBreakers(config, registry, logger).for(SMTP_DEPENDENCY, {
      isFailure: (error) => classifySmtpFailure(error).transient,
    });
    this.from = config.NOTIFICATION_EMAIL_FROM;
    // The configuration refuses a sender without a domain.
    this.domain = senderDomain(config.NOTIFICATION_EMAIL_FROM) as string;
    this.deadlineMs = emailLeaseTimes(config).sendMs;
  }

  /**
   * Resolves once the server accepted the message; rejects with nodemailer's error otherwise,
   * `EABORT` at the deadline (the connection closed, the message not taken), and with
   * CircuitOpenError (`EOPENBREAKER`) while the server's breaker is open.
   */
  async send({ notificationId, ...email }: OutgoingEmail): Promise<void> {
    await this.breaker.call(() =>
      this.transport.sendMail({
        from: this.from,
        messageId: messageIdOf(notificationId, this.domain),
        signal: AbortSignal.timeout(this.deadlineMs),
        ...email,
      }),
    );
  }

  /** Closes the idle connections at once; one in the middle of a mail ends it first. */
  onApplicationShutdown(): void {
    this.breaker.shutdown();
    this.transport.close();
  }
}
