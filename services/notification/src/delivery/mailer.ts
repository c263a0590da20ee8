import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Transporter, createTransport } from 'nodemailer';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends email over SMTP (`SMTP_URL`); every conversation is bounded by the SMTP timeout. */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(@Inject(NOTIFICATION_CONFIG) config: NotificationConfig) {
    const timeout = config.NOTIFICATION_SMTP_TIMEOUT_MS;
    this.transport = createTransport({
      url: config.SMTP_URL,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    this.from = config.NOTIFICATION_EMAIL_FROM;
  }

  /** Resolves once the server accepted the message; rejects with nodemailer's error otherwise. */
  async send(email: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...email });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
