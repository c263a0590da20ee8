import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { SubgraphConnection, isSubgraphOutage } from './subgraph-data-source';

// The HTTP side of a subgraph call against a plain HTTP server: answers, refusals, deadlines.

type Handler = Parameters<typeof createServer>[1];

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/graphql` };
}

const answer: Handler = (request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({ data: { echo: JSON.parse(body), token: request.headers['x-token'] } }),
    );
  });
};

describe('SubgraphConnection', () => {
  let server: Server;
  let connection: SubgraphConnection;

  async function start(handler: Handler, timeoutMs = 1_000) {
    const served = await serve(handler);
    server = served.server;
    connection = new SubgraphConnection({
      name: 'user',
      url: served.url,
      timeoutMs,
      maxSockets: 4,
      keepAliveTimeoutMs: 5_000,
    });
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    await connection?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('posts the body with the headers and reads the JSON answer, reusing kept-alive sockets', async () => {
    await start(answer);
    let sockets = 0;
    server.on('connection', () => (sockets += 1));

    for (let n = 0; n < 10; n += 1) {
      const response = await connection.post(
        JSON.stringify({ query: `{ n${n} }` }),
        { 'content-type': 'application/json', 'x-token': 'secret' },
        1_000,
      );
      expect(response).toEqual({ data: { echo: { query: `{ n${n} }` }, token: 'secret' } });
    }
    // A socket returns to the pool just after its answer is read, so a call made at once may open a second.
    expect(sockets).toBeLessThanOrEqual(2);
  });

  it('makes no AbortSignal per call', async () => {
    await start(answer);
    const timeout = jest.spyOn(AbortSignal, 'timeout');
    const controller = jest.spyOn(globalThis, 'AbortController');

    await connection.post('{}', { 'content-type': 'application/json' }, 1_000);

    expect(timeout).not.toHaveBeenCalled();
    expect(controller).not.toHaveBeenCalled();
  });

  it('rejects with a TimeoutError once its time is up when the subgraph never answers', async () => {
    await start(() => undefined);
    const startedAt = performance.now();

    const failure = await connection.post('{}', {}, 200).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(isSubgraphOutage(failure)).toBe(true);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

  it('times out a subgraph that sends its headers but never finishes the body', async () => {
    await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"data":');
    });

    const failure = await connection.post('{}', {}, 200).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'TimeoutError' });
  });

  it('times out a call still waiting for a socket while the pool is full of calls that hang', async () => {
    await start(() => undefined);
    const hanging = Array.from({ length: 4 }, () =>
      connection.post('{}', {}, 1_000).catch((error: unknown) => error),
    );
    const startedAt = performance.now();

    const failure = await connection.post('{}', {}, 200).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - startedAt).toBeLessThan(900);
    await Promise.all(hanging);
  });

  it('passes on a 4xx carrying GraphQL errors as the answer, and fails on other statuses', async () => {
    const refusal = { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] };
    let status = 400;
    await start((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(refusal));
    });

    await expect(connection.post('{}', {}, 1_000)).resolves.toEqual(refusal);
    status = 503;
    const failure = await connection.post('{}', {}, 1_000).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 503 });
    expect(isSubgraphOutage(failure)).toBe(true);
  });

  it('fails as unreachable when nothing listens, which is worth one retry', async () => {
    await start(answer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));

    const failure = await connection.post('{}', {}, 1_000).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toMatchObject({ name: 'TimeoutError' });
    expect(isSubgraphOutage(failure)).toBe(true);
  });
});
