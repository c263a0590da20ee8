import { PASSWORD_MAX_LENGTH, passwordPolicyViolation } from './password-policy';

const owner = { email: 'jane.doe@example.com' };

describe('passwordPolicyViolation', () => {
  it('accepts a long password mixing kinds of characters', () => {
    expect(passwordPolicyViolation('correct horse battery', owner)).toBeNull();
    expect(passwordPolicyViolation('Tr0ub4dor&3xyz', owner)).toBeNull();
  });

  it('rejects a password shorter than 12 characters', () => {
    expect(passwordPolicyViolation('Short-pw1', owner)).toBe(
      'password must be at least 12 characters long',
    );
  });

  it('counts characters, not UTF-16 units, so 11 emoji are still too short', () => {
    expect(passwordPolicyViolation('🔑'.repeat(11), owner)).toMatch(/at least 12/);
  });

  it('rejects a password longer than the maximum', () => {
    expect(passwordPolicyViolation('aB3'.repeat(PASSWORD_MAX_LENGTH), owner)).toMatch(
      /at most 128/,
    );
  });

  it.each(['abcdefghijklmn', 'ABCDEFGHIJKLMN', '12345678901234', '!@#$%^&*()_+-='])(
    'rejects %s, made of a single kind of character',
    (password) => {
      expect(passwordPolicyViolation(password, owner)).toMatch(/at least two kinds/);
    },
  );

  it('rejects a few characters repeated', () => {
    expect(passwordPolicyViolation('abab1212abab1212', owner)).toMatch(/at least 5 different/);
  });

  it('rejects a password containing the local part of the email, whatever the case', () => {
    expect(passwordPolicyViolation('My-JANE.DOE-password', owner)).toMatch(/before the @/);
  });

  it('does not check very short local parts', () => {
    expect(
      passwordPolicyViolation('jo-likes-long-passwords', { email: 'jo@example.com' }),
    ).toBeNull();
  });
});
