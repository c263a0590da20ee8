import { z } from 'zod';
import {
  IdempotencyKeyConflictError,
  idempotencyKeySchema,
  requestFingerprint,
} from './idempotency';

describe('idempotency keys', () => {
  describe('idempotencyKeySchema', () => {
    const args = z.object({ idempotencyKey: idempotencyKeySchema });

    it('keeps a key, trimmed, and treats a missing one as absent', () => {
      expect(args.parse({ idempotencyKey: ' 0b6f7c1e-retry ' })).toEqual({
        idempotencyKey: '0b6f7c1e-retry',
      });
      expect(args.parse({ idempotencyKey: null })).toEqual({ idempotencyKey: undefined });
      expect(args.parse({})).toEqual({ idempotencyKey: undefined });
    });

    it('accepts 200 printable ASCII characters', () => {
      const key = `a b!~${'x'.repeat(195)}`;
      expect(args.parse({ idempotencyKey: key }).idempotencyKey).toBe(key);
    });

    it.each([
      ['blank', '   '],
      ['longer than 200 characters', 'x'.repeat(201)],
      ['holding a control character', 'key\u0000'],
      ['holding a line break inside', 'a\nb'],
      ['holding a non-ASCII character', 'clé'],
    ])('refuses a key %s', (_, key) => {
      expect(args.safeParse({ idempotencyKey: key }).success).toBe(false);
    });
  });

  describe('requestFingerprint', () => {
    it('is a SHA-256 hex digest, equal for equal fields', () => {
      const fingerprint = requestFingerprint(['a', new Date('2030-01-07T09:00:00.000Z'), null]);
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(requestFingerprint(['a', new Date('2030-01-07T09:00:00.000Z'), null])).toBe(
        fingerprint,
      );
    });

    it('tells apart fields that only concatenate alike', () => {
      expect(requestFingerprint(['ab', 'c'])).not.toBe(requestFingerprint(['a', 'bc']));
      expect(requestFingerprint([null])).not.toBe(requestFingerprint(['null']));
    });
  });

  it('names idempotencyKey on a conflict, with a message that says what to do', () => {
    const error = new IdempotencyKeyConflictError('k-1', 'ticket');
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toEqual({ field: 'idempotencyKey' });
    expect(error.message).toBe(
      'idempotencyKey "k-1" was already used for a different ticket: repeat that request unchanged to get its result, or use a new key for a new ticket',
    );
  });
});
