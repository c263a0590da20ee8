import { AddressInfo, Server, Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP front to an SMTP server that can take over the next conversation and stall it, as a
 * mail server that keeps a sender waiting while trickling bytes so no inactivity timeout fires;
 * it also counts the connections it passes on, and can break one in the middle of a message.
 */

/** A conversation the front took over (see `stallNext`). */
export interface StalledConversation {
  /** Resolves once the sender has sent its whole message and the trickle of a reply began. */
  stalled: Promise<void>;
  /** Resolves, once the sender closed the connection, with how long it was open (ms). */
  ended: Promise<number>;
}

export interface StallingSmtpFront {
  /** `smtp://127.0.0.1:<port>`, to use as SMTP_URL. */
  url: string;
  /**
   * Answers the next connection itself: greets, takes the envelope and the message, then
   * sends continuation lines of its reply (`250-…`) every `trickleMs`, never the last one.
   * Connections after it go through to the server again.
   */
  stallNext(trickleMs: number): StalledConversation;
  /** Connections senders opened through the front so far. */
  readonly connections: number;
  /**
   * Breaks the next connection, among those passed on, that starts sending a message's
   * content: both sides are closed once the server agreed to DATA, before any of the content
   * reaches it, so the server never accepts that message. Resolves when it happened.
   */
  dropNextMessage(): Promise<void>;
  close(): Promise<void>;
}

const END_OF_DATA = '\r\n.\r\n';

/** Replies to the commands of a conversation up to the message; anything else is `250 OK`. */
const REPLIES: Array<[RegExp, string]> = [
  [/^(EHLO|HELO)\b/i, '250 stalling.test'],
  [/^DATA\b/i, '354 go ahead'],
  [/^QUIT\b/i, '221 bye'],
];

function stall(client: Socket, trickleMs: number): StalledConversation {
  const openedAt = Date.now();
  let received = '';
  let inData = false;
  let trickle: NodeJS.Timeout | undefined;
  let onStalled: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (onStalled = resolve));
  const ended = new Promise<number>((resolve) =>
    client.on('close', () => {
      clearInterval(trickle);
      resolve(Date.now() - openedAt);
    }),
  );

  client.on('data', (chunk: Buffer) => {
    if (trickle) return;
    received += chunk.toString('latin1');
    let lineEnd: number;
    while (!inData && (lineEnd = received.indexOf('\r\n')) >= 0) {
      const command = received.slice(0, lineEnd);
      received = received.slice(lineEnd + 2);
      const reply = REPLIES.find(([pattern]) => pattern.test(command))?.[1] ?? '250 OK';
      client.write(`${reply}\r\n`);
      inData = reply.startsWith('354');
    }
    if (inData && `\r\n${received}`.includes(END_OF_DATA)) {
      trickle = setInterval(() => client.write('250-still thinking it over\r\n'), trickleMs);
      onStalled();
    }
  });
  client.write('220 stalling.test ESMTP\r\n');
  return { stalled, ended };
}

/** A `stallNext` waiting for its connection. */
interface PendingStall {
  trickleMs: number;
  take(conversation: StalledConversation): void;
}

export async function startStallingSmtpFront(targetUrl: string): Promise<StallingSmtpFront> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const pending: PendingStall[] = [];
  const drops: Array<() => void> = [];
  let connections = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server: Server = createServer((client) => {
    track(client);
    const next = pending.shift();
    if (next) {
      next.take(stall(client, next.trickleMs));
      return;
    }
    connections += 1;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    track(upstream);
    upstream.pipe(client);
    let sentData = false;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const dataCommand = /(^|\r\n)DATA\r\n/i.exec(text);
      const content =
        sentData ||
        (dataCommand !== null && dataCommand.index + dataCommand[0].length < text.length);
      const drop = drops[0];
      if (content && drop) {
        drops.shift();
        client.destroy();
        upstream.destroy();
        drop();
        return;
      }
      // Past DATA until the end of the message, then commands again (the next message).
      if (sentData) sentData = !text.endsWith(END_OF_DATA);
      else if (dataCommand) sentData = true;
      upstream.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    stallNext(trickleMs) {
      const taken = new Promise<StalledConversation>((take) => pending.push({ trickleMs, take }));
      return {
        stalled: taken.then((conversation) => conversation.stalled),
        ended: taken.then((conversation) => conversation.ended),
      };
    },
    get connections() {
      return connections;
    },
    dropNextMessage() {
      return new Promise<void>((dropped) => drops.push(dropped));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
