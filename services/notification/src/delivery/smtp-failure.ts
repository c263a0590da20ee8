/** How a failed send is treated, and the reason recorded for people to read. */
export interface SmtpFailure {
  /** Worth another attempt later: 4xx replies, connection problems, timeouts. */
  transient: boolean;
  /** Short, without the address or any credential. */
  reason: string;
}

const MAX_REASON_LENGTH = 200;

/** Connection-level codes of nodemailer and Node: the server was not reached or went away. */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EGREETING',
]);

/**
 * Strips what a reason must not carry: addresses (servers quote the rejected one) and URLs
 * with credentials (a connection error may name the SMTP URL).
 */
export function redact(text: string): string {
  const redacted = text
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s/]*@[^\s]*/gi, '<url>')
    .replace(/<?[^\s<>@'"]+@[^\s<>'"]+>?/g, '<address>')
    .replace(/\s+/g, ' ')
    .trim();
  return redacted.length > MAX_REASON_LENGTH
    ? `${redacted.slice(0, MAX_REASON_LENGTH - 1)}…`
    : redacted;
}

interface MailerError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/**
 * Classifies an error of nodemailer's SMTP transport. The reply code decides when there is
 * one (4xx transient, 5xx permanent); a rejected envelope without one is an invalid address;
 * anything else (connection refused, timeout, unknown) is assumed transient, because a
 * retry too many costs little and a mail given up too early is lost.
 */
export function classifySmtpFailure(error: unknown): SmtpFailure {
  const failure: MailerError = typeof error === 'object' && error !== null ? error : {};
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 600) {
    const response = typeof failure.response === 'string' ? failure.response : '';
    return {
      transient: responseCode < 500,
      reason: redact(`SMTP ${responseCode}: ${response.replace(/^\d{3}[ -]?/, '')}`),
    };
  }
  if (code === 'EENVELOPE') return { transient: false, reason: 'invalid recipient address' };
  if (code === 'ETIMEDOUT') return { transient: true, reason: 'SMTP server timed out' };
  // Only the mailer's deadline aborts a send.
  if (code === 'EABORT') {
    return { transient: true, reason: 'SMTP conversation outlasted its deadline' };
  }
  if (code && CONNECTION_CODES.has(code)) {
    return { transient: true, reason: `cannot reach the SMTP server (${code})` };
  }
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  return { transient: true, reason: redact(code ? `${code}: ${message}` : message) };
}
