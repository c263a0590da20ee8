import { randomUUID } from 'node:crypto';
import { emailSchema, registerInputSchema } from './user.inputs';
import { erasedEmail, isReservedEmail } from './erased-account';

describe('erased accounts', () => {
  it('get a valid, unique address in the reserved .invalid domain', () => {
    const [first, second] = [randomUUID(), randomUUID()].map(erasedEmail);
    expect(emailSchema.safeParse(first).success).toBe(true);
    expect(first).toMatch(/@erased\.invalid$/);
    expect(first).not.toBe(second);
    expect(isReservedEmail(first)).toBe(true);
    expect(isReservedEmail('ada@example.com')).toBe(false);
  });

  it('cannot be impersonated: register refuses addresses in the .invalid domain', () => {
    const result = registerInputSchema.safeParse({
      email: erasedEmail(randomUUID()).toUpperCase(),
      password: 'Correct-horse-battery-9',
      name: 'Mallory',
      timeZone: 'UTC',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['email']);
  });
});
