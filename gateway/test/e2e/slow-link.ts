import { AddressInfo, Server, Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP link from the gateway to one subgraph that a test can slow down (every answer arrives
 * `delayMs` late, as from a subgraph whose database is slow) or make silent (connections are
 * accepted and nothing is forwarded, as to a wedged process).
 */
export class SlowLink {
  delayMs = 0;
  private silent = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    server.on('connection', (client) => this.forward(client));
  }

  static async to(url: string): Promise<SlowLink> {
    const link = new SlowLink(createServer(), new URL(url));
    await new Promise<void>((resolve) => link.server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  /** The subgraph's URL with the link in between. */
  get url(): string {
    const url = new URL(this.target);
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Drops the connections already open, and from now on accepts new ones without ever answering. */
  silence(): void {
    this.silent = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.delayMs = 0;
    this.silent = false;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private forward(client: Socket): void {
    this.track(client);
    if (this.silent) return;
    const upstream = createConnection({
      host: this.target.hostname,
      port: Number(this.target.port),
    });
    this.track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    // Each chunk is held for the same time, so the answer keeps its order.
    upstream.on('data', (chunk: Buffer) => {
      if (this.delayMs === 0) client.write(chunk);
      else setTimeout(() => client.write(chunk), this.delayMs);
    });
  }
}
