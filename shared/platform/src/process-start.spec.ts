import { createServer } from 'node:net';
import { describeStartFailure } from './process-start';
import { StartupError } from './startup-dependencies';

/** The error Node gives a server listening where another one already does. */
async function listenError(port: number): Promise<unknown> {
  const second = createServer();
  return new Promise((resolve) => {
    second.once('error', resolve);
    second.listen(port);
  });
}

describe('describeStartFailure', () => {
  it('names the port another program holds', async () => {
    const first = createServer();
    await new Promise<void>((resolve) => first.listen(0, resolve));
    const { port } = first.address() as { port: number };
    try {
      expect(describeStartFailure(await listenError(port))).toBe(`port ${port} is already in use`);
    } finally {
      first.close();
    }
  });

  it('says what a dependency that never answered said', () => {
    const error = new StartupError('PostgreSQL at db:5432/servicedesk is not reachable: timeout');

    expect(describeStartFailure(error)).toBe(
      'PostgreSQL at db:5432/servicedesk is not reachable: timeout',
    );
  });
});
