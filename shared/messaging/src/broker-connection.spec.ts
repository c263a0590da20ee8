import { brokerRefusal } from './broker-connection';

/** Which of RabbitMQ's answers at connection time fail a start at once (as amqplib reports them). */
describe('brokerRefusal', () => {
  it('fails wrong credentials (403 ACCESS_REFUSED) at once, naming the variable to correct', () => {
    const error = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );

    expect(brokerRefusal(error, 'amqp://guest:wrong@mq:5672')).toBe(
      `${error.message}; correct the user or password in RABBITMQ_URL`,
    );
  });

  it('fails a vhost the broker does not allow (530 NOT_ALLOWED) at once, naming the vhost', () => {
    const error = new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');

    expect(brokerRefusal(error, 'amqp://guest:guest@mq:5672/desk%2Fprod')).toBe(
      'vhost "desk/prod" not allowed (530 NOT_ALLOWED: it does not exist, or the user may not use it); ' +
        'create it and grant the user access (`rabbitmqctl add_vhost`, `rabbitmqctl set_permissions`) or correct RABBITMQ_URL',
    );
  });

  it.each([
    ['a broker not listening yet', new Error('connect ECONNREFUSED 127.0.0.1:5672')],
    [
      'a broker closing while it starts',
      new Error('Socket closed abruptly during opening handshake'),
    ],
    ['a connection timeout', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
  ])('leaves %s to retries', (_what, error) => {
    expect(brokerRefusal(error, 'amqp://guest:guest@mq:5672')).toBeUndefined();
  });
});
