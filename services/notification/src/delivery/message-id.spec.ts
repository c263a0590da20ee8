import { messageIdOf, senderDomain } from './message-id';

describe('senderDomain', () => {
  it.each([
    ['Servicedesk <no-reply@servicedesk.local>', 'servicedesk.local'],
    ['"Help, Desk" <help@desk.example.org>', 'desk.example.org'],
    ['no-reply@mail.example.com', 'mail.example.com'],
    [' <a@b.example> ', 'b.example'],
  ])('finds the domain of %s', (from, domain) => {
    expect(senderDomain(from)).toBe(domain);
  });

  it.each([['Servicedesk'], ['Servicedesk <no-reply>'], ['x@'], ['a@b c']])(
    'finds none in %s',
    (from) => {
      expect(senderDomain(from)).toBeUndefined();
    },
  );
});

describe('messageIdOf', () => {
  it('is the notification id at the sender domain, in angle brackets', () => {
    expect(messageIdOf('4e89c96a-c6f8-4d1a-9317-0ccb2b441bcc', 'desk.example.org')).toBe(
      '<4e89c96a-c6f8-4d1a-9317-0ccb2b441bcc@desk.example.org>',
    );
  });
});
