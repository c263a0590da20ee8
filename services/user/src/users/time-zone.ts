const canonicalZones = new Set<string>([...Intl.supportedValuesOf('timeZone'), 'UTC']);
/** An IANA zone or link name ("Europe/Berlin", "US/Eastern"); rules out offsets such as "+01:00". */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * Whether `value` names an IANA time zone this runtime knows. Canonical names are looked
 * up; aliases (links such as "Asia/Calcutta") are accepted when the runtime resolves them.
 */
export function isIanaTimeZone(value: string): boolean {
  if (canonicalZones.has(value)) return true;
  if (!ZONE_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
