import { randomUUID } from 'node:crypto';
import { decryptField, encryptField, generateSubjectKey } from './field-cipher';

describe('field cipher', () => {
  const subject = randomUUID();
  const key = generateSubjectKey();

  it('round-trips any JSON value, and never shows the plaintext', () => {
    for (const value of ['ada@example.com', 'Ada Lovelace', 42, { nested: ['x'] }]) {
      const sealed = encryptField(key, subject, 'email', value);
      expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
      expect(sealed).not.toContain('ada');
      expect(decryptField(key, subject, 'email', sealed)).toEqual(value);
    }
  });

  it('uses a fresh IV each time: equal values give different ciphertexts', () => {
    expect(encryptField(key, subject, 'name', 'Ada')).not.toBe(
      encryptField(key, subject, 'name', 'Ada'),
    );
  });

  it('refuses another key, another person, another field and a changed ciphertext', () => {
    const sealed = encryptField(key, subject, 'email', 'ada@example.com');
    expect(() => decryptField(generateSubjectKey(), subject, 'email', sealed)).toThrow();
    expect(() => decryptField(key, randomUUID(), 'email', sealed)).toThrow();
    expect(() => decryptField(key, subject, 'name', sealed)).toThrow();
    const [version, iv, ciphertext, tag] = sealed.split('.');
    const flipped = `${ciphertext[0] === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`;
    expect(() =>
      decryptField(key, subject, 'email', [version, iv, flipped, tag].join('.')),
    ).toThrow();
    expect(() => decryptField(key, subject, 'email', 'plain text')).toThrow(/not a sealed/);
  });
});
