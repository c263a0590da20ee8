import { AddressInfo, Server, connect, createServer } from 'node:net';
import { TcpProxy, createTcpProxy } from './tcp-proxy';

/** Opens a connection through the proxy and resolves with the echo of `text`, or rejects. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      received += chunk;
      if (received.length >= text.length) {
        socket.end();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before the echo')));
  });
}

describe('createTcpProxy', () => {
  let echo: Server;
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await createTcpProxy('127.0.0.1', (echo.address() as AddressInfo).port);
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('forwards traffic to the target', async () => {
    expect(await roundTrip(proxy.port, 'hello')).toBe('hello');
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    expect(proxy.urlFor('amqp://guest:guest@rabbit:5672/vh')).toBe(
      `amqp://guest:guest@127.0.0.1:${proxy.port}/vh`,
    );
  });

  it('drops live connections and refuses new ones while cut, and forwards again once restored', async () => {
    const live = connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => live.once('connect', resolve));
    const dropped = new Promise((resolve) => live.once('close', resolve));

    proxy.cut();

    await dropped;
    await expect(roundTrip(proxy.port, 'anyone?')).rejects.toThrow();
    proxy.restore();
    expect(await roundTrip(proxy.port, 'back')).toBe('back');
  });

  it('refuses new connections but keeps live ones while refusing', async () => {
    const live = connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => live.once('connect', resolve));

    proxy.refuse();

    await expect(roundTrip(proxy.port, 'anyone?')).rejects.toThrow();
    const echoed = new Promise<string>((resolve) =>
      live.once('data', (chunk) => resolve(`${chunk}`)),
    );
    live.write('still here');
    expect(await echoed).toBe('still here');
    live.destroy();
    proxy.restore();
    expect(await roundTrip(proxy.port, 'back')).toBe('back');
  });

  it('holds every chunk for the delay, in order, until restored', async () => {
    proxy.delay(150);
    const slowStart = Date.now();
    expect(await roundTrip(proxy.port, 'slow')).toBe('slow');
    // The request and its echo are each held once.
    expect(Date.now() - slowStart).toBeGreaterThanOrEqual(300);

    proxy.restore();
    const fastStart = Date.now();
    expect(await roundTrip(proxy.port, 'fast')).toBe('fast');
    expect(Date.now() - fastStart).toBeLessThan(150);
  });
});
