import { redactUrl } from '@servicedesk/platform';
import { testInfrastructure, uniqueName } from '@servicedesk/testing';
import { freePorts } from '../src/bench-infrastructure';
import { ensureBroker, ensureDatabase } from '../src/infrastructure-check';

/**
 * What `npm start` says before it starts anything, against the real servers: how to start a
 * server that is not there, and what to fix when one refuses the configured credentials.
 */

function withPath(url: string, path: string): string {
  const moved = new URL(url);
  moved.pathname = `/${path}`;
  return moved.toString();
}

describe('the infrastructure check', () => {
  it('accepts the running broker', async () => {
    await expect(ensureBroker(testInfrastructure.rabbitmqUrl)).resolves.toBeUndefined();
  });

  it('says how to start RabbitMQ when nothing listens at its address', async () => {
    const [port] = await freePorts(1);
    const url = `amqp://guest:guest@127.0.0.1:${port}`;

    const { message } = (await ensureBroker(url).catch((error: Error) => error)) as Error;

    expect(message).toContain(`RabbitMQ is not reachable at ${redactUrl(url)} (`);
    expect(message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(message).toContain(
      '  Start it, e.g. `rabbitmq-server -detached`, or point RABBITMQ_URL at a running broker.',
    );
  });

  it('says what to fix when RabbitMQ has no such vhost, rather than how to start it', async () => {
    const vhost = uniqueName('sdmissing');
    const url = withPath(testInfrastructure.rabbitmqUrl, vhost);

    await expect(ensureBroker(url)).rejects.toThrow(
      `RabbitMQ at ${redactUrl(url)} refused: vhost "${vhost}" not allowed (530 NOT_ALLOWED: ` +
        'it does not exist, or the user may not use it); create it and grant the user access ' +
        '(`rabbitmqctl add_vhost`, `rabbitmqctl set_permissions`) or correct RABBITMQ_URL',
    );
  });

  it('says what to fix when PostgreSQL does not know the user, rather than how to start it', async () => {
    const role = uniqueName('sdnobody');
    const url = new URL(testInfrastructure.databaseUrl);
    url.username = role;

    await expect(ensureDatabase(url.toString())).rejects.toThrow(
      `PostgreSQL at ${redactUrl(url.toString())} refused: role "${role}" does not exist; ` +
        "correct the user in DATABASE_URL, or let the server's pg_hba.conf accept it",
    );
  });
});
