import { escapeHtml } from './format';
import type { NotificationContent } from './notification-templates';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const SIGNATURE = 'Your Servicedesk team';

/**
 * The email around a notification's content. Every piece of content is text (names,
 * titles, reasons people typed): it is escaped into the HTML, never interpreted.
 */
export function renderEmail(content: NotificationContent, recipientName: string): RenderedEmail {
  const greeting = `Hello ${recipientName},`;
  const text = [greeting, ...content.paragraphs, SIGNATURE].join('\n\n');
  const html = [
    '<!doctype html><html><body>',
    `<h1>${escapeHtml(content.title)}</h1>`,
    `<p>${escapeHtml(greeting)}</p>`,
    ...content.paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    `<p>${escapeHtml(SIGNATURE)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: content.title, text, html };
}
