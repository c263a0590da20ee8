import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Transporter, createTransport } from 'nodemailer';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
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
 * Waits of one SMTP conversation, each bounded by the SMTP timeout: connection, greeting,
 * EHLO, STARTTLS and EHLO again, AUTH, MAIL FROM, RCPT TO, DATA and the end of the data.
 */
const CONVERSATION_WAITS = 10;

/** Sends email over SMTP (`SMTP_URL`); every wait of a conversation is bounded by the SMTP timeout. */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly domain: string;
  /** How long one `send` takes when every wait runs to its timeout; a claim outlasts it. */
  readonly conversationBoundMs: number;

  constructor(@Inject(NOTIFICATION_CONFIG) config: NotificationConfig) {
    const timeout = config.NOTIFICATION_SMTP_TIMEOUT_MS;
    this.transport = createTransport({
      url: config.SMTP_URL,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    this.from = config.NOTIFICATION_EMAIL_FROM;
    // The configuration refuses a sender without a domain.
    this.domain = senderDomain(config.NOTIFICATION_EMAIL_FROM) as string;
    this.conversationBoundMs = CONVERSATION_WAITS * timeout;
  }

  /** Resolves once the server accepted the message; rejects with nodemailer's error otherwise. */
  async send({ notificationId, ...email }: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      messageId: messageIdOf(notificationId, this.domain),
      ...email,
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
