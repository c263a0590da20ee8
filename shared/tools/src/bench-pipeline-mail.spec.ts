import { createTransport } from 'nodemailer';
import { freePorts } from './bench-infrastructure';
import { PipelineMailSink, headerFields, notificationIdOf } from './bench-pipeline-mail';

describe('headerFields', () => {
  it('reads the fields of the header block, names in lower case, up to the empty line', () => {
    const fields = headerFields(
      'Message-ID: <a@b>\r\nSubject: Hello\r\n\r\nX-Not-A-Header: body text\r\n',
    );
    expect(fields.get('message-id')).toBe('<a@b>');
    expect(fields.get('subject')).toBe('Hello');
    expect(fields.has('x-not-a-header')).toBe(false);
  });

  it('unfolds continuation lines', () => {
    expect(headerFields('Subject: We received\r\n  your ticket\r\n').get('subject')).toBe(
      'We received your ticket',
    );
  });

  it('keeps the first of repeated fields', () => {
    expect(headerFields('Received: one\r\nReceived: two\r\n').get('received')).toBe('one');
  });
});

describe('notificationIdOf', () => {
  it('takes the id part of <id@domain>', () => {
    expect(notificationIdOf(' <0b6f7c1e-1f2a-4c55-9d7e-3b1f2d4c5a6b@servicedesk.local> ')).toBe(
      '0b6f7c1e-1f2a-4c55-9d7e-3b1f2d4c5a6b',
    );
  });

  it('is null for anything else', () => {
    expect(notificationIdOf(undefined)).toBeNull();
    expect(notificationIdOf('no-brackets@example.com')).toBeNull();
    expect(notificationIdOf('<no-domain>')).toBeNull();
  });
});

describe('PipelineMailSink', () => {
  let sink: PipelineMailSink;

  beforeEach(async () => {
    const [port] = await freePorts(1);
    sink = await PipelineMailSink.start(port);
  });

  afterEach(() => sink.close());

  it('records each accepted mail with its notification id and when it was accepted', async () => {
    const transport = createTransport(sink.url);
    const before = Date.now();
    await transport.sendMail({
      from: 'Servicedesk <no-reply@servicedesk.local>',
      to: 'ada@example.com',
      subject: 'We received your ticket',
      messageId: '<n-1@servicedesk.local>',
      text: 'Plain',
      html: '<p>HTML</p>',
    });
    await transport.sendMail({
      from: 'Servicedesk <no-reply@servicedesk.local>',
      to: 'ada@example.com',
      subject: 'Again',
      messageId: '<n-2@servicedesk.local>',
      text: 'Plain',
    });
    transport.close();

    expect(sink.mails.map((mail) => mail.notificationId)).toEqual(['n-1', 'n-2']);
    expect(sink.mails[0].acceptedAt).toBeGreaterThanOrEqual(before);
    expect(sink.acceptedAt(new Set(['n-2', 'n-3']))).toEqual(
      new Map([['n-2', sink.mails[1].acceptedAt]]),
    );
  });
});
