/**
 * The Message-ID of a notification's email. It is the same on every send of one notification
 * (one per event, recipient and channel), so a mail sent again is recognisably the same mail.
 */

/** The domain of the address in a From value, `Name <user@domain>` or `user@domain`; undefined if none. */
export function senderDomain(from: string): string | undefined {
  const address = /<([^<>]*)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return address.includes('@') && /^[^\s@<>()[\],;:"]+$/.test(domain) ? domain : undefined;
}

/** `<{notificationId}@{domain}>`: mail tools downstream, and the fault checker, join on it. */
export function messageIdOf(notificationId: string, domain: string): string {
  return `<${notificationId}@${domain}>`;
}
