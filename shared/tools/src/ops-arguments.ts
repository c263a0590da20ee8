import { DEFAULT_REPLAY_LIMIT } from '@servicedesk/messaging';

/** What `npm run ops -- …` was asked to do. */
export type OpsCommand =
  | { kind: 'outbox-status'; service?: string; json: boolean }
  | { kind: 'outbox-retry-failed'; service: string; json: boolean }
  | { kind: 'dlq-list'; service?: string; json: boolean }
  | { kind: 'dlq-show'; queue: string; limit: number; json: boolean }
  | { kind: 'dlq-replay'; queue: string; limit: number; json: boolean }
  | { kind: 'help' };

export const OPS_USAGE = `Usage: npm run ops -- <command> [options]

  outbox status [--service <name>]        pending, failed and published events, age of the oldest pending
  outbox retry-failed --service <name>    give parked (FAILED) outbox events a fresh attempt budget
  dlq list [--service <name>]             dead-letter queues and how many messages each holds
  dlq show <queue> [--limit <n>]          the oldest parked messages of a queue (left in place)
  dlq replay <queue> [--limit <n>]        move parked messages back to their work queue (default ${DEFAULT_REPLAY_LIMIT})

Options: --json (machine-readable output), --help.
Reads DATABASE_URL and RABBITMQ_URL (defaults: the local PostgreSQL and RabbitMQ).
A service is its database schema (user, ticket, audit, …); a queue is a work queue such as
audit.events (its DLQ is audit.events.dlq; either name is accepted).`;

export class OpsUsageError extends Error {}

const DEFAULT_SHOW_LIMIT = 10;
const MAX_LIMIT = 1000;

function takeOption(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--'))
    throw new OpsUsageError(`${name} needs a value`);
  args.splice(index, 2);
  return value;
}

function takeFlag(args: string[], name: string): boolean {
  const index = args.indexOf(name);
  if (index === -1) return false;
  args.splice(index, 1);
  return true;
}

function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new OpsUsageError(
      `--limit must be a whole number between 1 and ${MAX_LIMIT}, got "${value}"`,
    );
  }
  return limit;
}

/** Parses the arguments after `npm run ops --`; throws OpsUsageError with a readable reason. */
export function parseOpsArguments(argv: readonly string[]): OpsCommand {
  const args = [...argv];
  if (args.length === 0 || takeFlag(args, '--help') || takeFlag(args, '-h'))
    return { kind: 'help' };
  const json = takeFlag(args, '--json');
  const service = takeOption(args, '--service');
  const limitText = takeOption(args, '--limit');
  const [group, action, target, ...rest] = args;
  const unknown = [target, ...rest].filter((arg) => arg !== undefined && arg.startsWith('--'));
  if (unknown.length > 0) throw new OpsUsageError(`unknown option ${unknown[0]}`);

  const noExtra = (expected: number) => {
    if (args.length > expected) throw new OpsUsageError(`unexpected argument "${args[expected]}"`);
  };

  if (group === 'outbox' && action === 'status') {
    noExtra(2);
    return { kind: 'outbox-status', service, json };
  }
  if (group === 'outbox' && action === 'retry-failed') {
    noExtra(2);
    if (!service) throw new OpsUsageError('outbox retry-failed needs --service <name>');
    return { kind: 'outbox-retry-failed', service, json };
  }
  if (group === 'dlq' && action === 'list') {
    noExtra(2);
    return { kind: 'dlq-list', service, json };
  }
  if (group === 'dlq' && (action === 'show' || action === 'replay')) {
    if (!target) throw new OpsUsageError(`dlq ${action} needs a queue name`);
    noExtra(3);
    return action === 'show'
      ? { kind: 'dlq-show', queue: target, limit: parseLimit(limitText, DEFAULT_SHOW_LIMIT), json }
      : {
          kind: 'dlq-replay',
          queue: target,
          limit: parseLimit(limitText, DEFAULT_REPLAY_LIMIT),
          json,
        };
  }
  throw new OpsUsageError(`unknown command "${[group, action].filter(Boolean).join(' ')}"`);
}
