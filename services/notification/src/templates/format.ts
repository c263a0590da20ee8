import { DateTime } from 'luxon';

/** A zone luxon knows; an unknown one (bad data) falls back to UTC rather than failing a mail. */
export function knownZone(timeZone: string | null | undefined): string {
  return timeZone && DateTime.now().setZone(timeZone).isValid ? timeZone : 'UTC';
}

/** An instant as a person reads it in their own zone: "Tue 1 Dec 2026, 14:30 (Europe/Berlin)". */
export function formatInstant(instant: string | Date, timeZone: string): string {
  const zone = knownZone(timeZone);
  const value =
    typeof instant === 'string'
      ? DateTime.fromISO(instant, { zone })
      : DateTime.fromJSDate(instant, { zone });
  return `${value.setLocale('en-GB').toFormat('ccc d LLL yyyy, HH:mm')} (${zone})`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}
