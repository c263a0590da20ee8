export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

function isPlainObject(value: object): value is JsonObject {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The one serialization the audit chain hashes, in the spirit of RFC 8785 (JCS): object keys
 * sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript's JSON
 * serializes them, members whose value is `undefined` left out. Two values that are equal
 * as JSON give the same text whatever their key order, which is what lets a hash computed
 * before an INSERT be recomputed from the row `jsonb` gives back (jsonb reorders keys).
 *
 * Every hash already in the chain depends on this exact output: never change it.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonical JSON has no representation for ${value}`);
      }
      return JSON.stringify(value);
    case 'object': {
      // Built with plain loops: this runs for every entry appended and every entry verified.
      if (Array.isArray(value)) {
        let text = '[';
        for (let index = 0; index < value.length; index += 1) {
          if (index > 0) text += ',';
          text += canonicalJson(value[index]);
        }
        return `${text}]`;
      }
      if (!isPlainObject(value)) {
        throw new TypeError('canonical JSON accepts plain objects only');
      }
      let text = '{';
      let separator = '';
      for (const key of Object.keys(value).sort()) {
        const member = value[key];
        if (member === undefined) continue;
        text += `${separator}${JSON.stringify(key)}:${canonicalJson(member)}`;
        separator = ',';
      }
      return `${text}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no representation for a ${typeof value}`);
  }
}
