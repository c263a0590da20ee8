import { parseArgs } from 'node:util';

/** What `npm run bench -- …` was asked to do. */
export type BenchCommand =
  | {
      kind: 'run';
      durationSeconds: number;
      concurrency: number;
      json: boolean;
      gateway: boolean;
      pipeline: boolean;
      /** Tickets per second of the pipeline's open-loop phases, ascending. */
      rates: number[];
    }
  | { kind: 'help' };

const DEFAULT_RATES: readonly number[] = [10, 20, 30, 50];
const MAX_RATE = 1000;

export const BENCH_USAGE = `Usage: npm run bench -- [--duration <seconds>] [--concurrency <clients>] [--json]
       npm run bench -- --pipeline [--rates <tickets/s>,…] [--duration <seconds>] [--json]

Starts the whole platform (every subgraph and the gateway, as separate processes) against a
fresh database and RabbitMQ vhost on free ports, with an SMTP server of its own that counts
the emails, then measures through the gateway:
  read      tickets(first: 20) with requester, assignee and comment authors, as an agent
  write     createTicket by customers
  pipeline  from the last write until the audit log holds every ticket.created
  notify    from the end of the write (and book) phase until every email they cause arrived
  slots     availableSlots of an agent over the next 7 days, 30-minute slots, by customers
  book      bookAppointment of distinct free slots in several agents' calendars by customers
            (CONFLICT answers counted apart from errors)
  login     signing in (argon2id, deliberately slow) at low concurrency

  --duration <seconds>     length of the read, write, slots and book phases (1-300, default 20)
  --concurrency <clients>  concurrent clients in those phases (1-256, default 16)
  --json                   print the figures as JSON instead of a table
  --gateway                instead: the gateway beside a stock @apollo/gateway, alternating
                           rounds of me { id email }, the read above and createTicket, and
                           me { id email } sent to the user subgraph directly
  --pipeline               instead: the event pipeline (outbox relay, RabbitMQ, audit and
                           notification consumers, SMTP): lag from commit to each stage at
                           fixed open-loop createTicket rates (--duration seconds each), the
                           consumers' drain rates from a backlog, and the relay's drain rate
                           beside a plain publisher-confirm loop
  --rates <list>           the pipeline's rates in tickets/s, comma-separated (1-1000 each,
                           default ${DEFAULT_RATES.join(',')})

Reads DATABASE_URL and RABBITMQ_URL (defaults: the local PostgreSQL and RabbitMQ); the
database and vhost it creates there are removed at the end.`;

export class BenchUsageError extends Error {}

const DEFAULT_DURATION_SECONDS = 20;
const MAX_DURATION_SECONDS = 300;
const DEFAULT_CONCURRENCY = 16;
const MAX_CONCURRENCY = 256;

function wholeNumber(name: string, value: string | undefined, fallback: number, max: number) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw new BenchUsageError(`--${name} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return number;
}

/** Distinct rates, ascending: "the highest rate sustained" reads them in order. */
function rateList(value: string | undefined): number[] {
  if (value === undefined) return [...DEFAULT_RATES];
  const rates = value.split(',').map((part) => {
    const rate = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(rate) || rate < 1 || rate > MAX_RATE) {
      throw new BenchUsageError(
        `--rates must be whole numbers from 1 to ${MAX_RATE} separated by commas, got "${value}"`,
      );
    }
    return rate;
  });
  return [...new Set(rates)].sort((a, b) => a - b);
}

/** Parses the arguments after `npm run bench --`; throws BenchUsageError with a readable reason. */
export function parseBenchArguments(argv: readonly string[]): BenchCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string' },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
        gateway: { type: 'boolean', default: false },
        pipeline: { type: 'boolean', default: false },
        rates: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.gateway && values.pipeline) {
    throw new BenchUsageError('--gateway and --pipeline are two different runs: pick one');
  }
  if (values.rates !== undefined && !values.pipeline) {
    throw new BenchUsageError('--rates applies to --pipeline only');
  }
  return {
    kind: 'run',
    durationSeconds: wholeNumber(
      'duration',
      values.duration,
      DEFAULT_DURATION_SECONDS,
      MAX_DURATION_SECONDS,
    ),
    concurrency: wholeNumber(
      'concurrency',
      values.concurrency,
      DEFAULT_CONCURRENCY,
      MAX_CONCURRENCY,
    ),
    json: values.json,
    gateway: values.gateway,
    pipeline: values.pipeline,
    rates: rateList(values.rates),
  };
}
