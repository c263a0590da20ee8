import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Transporter, createTransport } from 'nodemailer';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { emailLeaseTimes } from './email-lease';
import { messageIdOf, senderDomain } from './message-id';

export interface OutgoingEmail {
  /** The notification it delivers: names the Message-ID, the same on every send of it. */
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends email over SMTP (`SMTP_URL`). One conversation, whatever phase it is in (connecting,
 * greeting, a server trickling its reply), is aborted at its deadline: an email's lease
 * (`email-lease.ts`) is only sound because no send outlives it.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly domain: string;
  private readonly deadlineMs: number;

  constructor(@Inject(NOTIFICATION_CONFIG) config: NotificationConfig) {
    this.transport = createTransport(config.SMTP_URL);
    this.from = config.NOTIFICATION_EMAIL_FROM;
    // The configuration refuses a sender without a domain.
    this.domain = senderDomain(config.NOTIFICATION_EMAIL_FROM) as string;
    this.deadlineMs = emailLeaseTimes(config).sendMs;
  }

  /**
   * Resolves once the server accepted the message; rejects with nodemailer's error otherwise,
   * `EABORT` at the deadline (the connection closed, the message not taken).
   */
  async send({ notificationId, ...email }: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      messageId: messageIdOf(notificationId, this.domain),
      signal: AbortSignal.timeout(this.deadlineMs),
      ...email,
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
