import { AddressInfo, Server, Socket, createConnection, createServer } from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  /** `host:port`, to put in a URL. */
  address: string;
  /** `url` (e.g. an amqp:// URL of the real server) with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Destroys every live connection and refuses new ones, as if the server had gone away. */
  cut(): void;
  /** Refuses new connections but leaves live ones alone, as a server out of connection slots. */
  refuse(): void;
  /** Holds every chunk, both ways, `ms` before passing it on (order kept), as a slow network. */
  delay(ms: number): void;
  /** Accepts and forwards connections again, without delay. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * Copies `from` to `to`, each chunk (and the end) no sooner than `delayMs()` after it
 * arrived and never before the chunk ahead of it, so a delay slows a stream down without
 * reordering it.
 */
function forward(from: Socket, to: Socket, delayMs: () => number): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0].due <= Date.now()) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(drain, queue[0].due - Date.now());
  };
  const push = (chunk: Buffer | null) => {
    const due = Math.max(Date.now() + delayMs(), queue.at(-1)?.due ?? 0);
    queue.push({ due, chunk });
    if (timer === undefined) drain();
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
  to.on('close', () => clearTimeout(timer));
}

/**
 * A TCP forwarder to `targetHost:targetPort` that a test can cut, refuse, slow down and
 * restore, to make a server "unreachable" or slow for one client without touching the
 * shared server other test files (or other processes) use.
 */
export async function createTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  let delayMs = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort, allowHalfOpen: true });
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    forward(client, upstream, () => delayMs);
    forward(upstream, client, () => delayMs);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = '127.0.0.1';

  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };

  return {
    host,
    port,
    address: `${host}:${port}`,
    urlFor(url: string): string {
      const parsed = new URL(url);
      parsed.hostname = host;
      parsed.port = String(port);
      return parsed.toString();
    },
    cut(): void {
      refusing = true;
      dropAll();
    },
    refuse(): void {
      refusing = true;
    },
    delay(ms: number): void {
      delayMs = ms;
    },
    restore(): void {
      refusing = false;
      delayMs = 0;
    },
    async close(): Promise<void> {
      refusing = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
