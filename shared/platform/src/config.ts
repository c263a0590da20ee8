import { z } from 'zod';
import { MIGRATION_CONNECTIONS, PoolDemand, minimumPoolSize } from './database-pool';

/**
 * Start-up configuration. This file is the only place in the platform that reads
 * `process.env` (besides tracing, which reads the standard OTEL_* variables): each service
 * calls `loadConfig` once from its own config file and passes the typed result around.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Safe only on a developer machine; production refuses it (see `requireInProduction`). */
export const LOCAL_SERVICE_TOKEN_SECRET = 'local-dev-service-token-secret-change-me';

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A URL whose scheme is one of `protocols`; the value itself never appears in an error. */
function urlVariable(protocols: string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

/** A TCP port variable (`USER_PORT`, …); 0 asks the OS for a free port (tests). */
export function portVariable(fallback: number) {
  return z.coerce.number().int().min(0).max(65535).default(fallback);
}

/** The variables every service has; a service spreads this into its own `z.object`. */
export const baseConfigShape = {
  NODE_ENV: z.enum(NODE_ENVS).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATABASE_URL: urlVariable(['postgres:', 'postgresql:']).default(
    'postgres://postgres@127.0.0.1:5432/servicedesk',
  ),
  RABBITMQ_URL: urlVariable(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672'),
  SERVICE_TOKEN_SECRET: z
    .string()
    .min(16, { message: 'must be at least 16 characters long' })
    .default(LOCAL_SERVICE_TOKEN_SECRET),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVariable(['http:', 'https:']).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  /** The largest request body, in bytes; the gateway and every subgraph take the same. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** How long a starting process retries PostgreSQL and RabbitMQ before it gives up and exits. */
  STARTUP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Handler runs of one message, the first included, before it is parked in its DLQ. */
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  /** Delay before the first retry; each next one doubles (±20 % jitter) up to the maximum. */
  CONSUMER_RETRY_BASE_MS: z.coerce.number().int().positive().default(1000),
  CONSUMER_RETRY_MAX_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * Deliveries of one message before the broker itself parks it in the DLQ (the work queues'
   * `x-delivery-limit`): the last guard against a message that crashes its consumer each time.
   * A queue argument: every process must use the same value, and changing it takes `npm run migrate`.
   */
  CONSUMER_DELIVERY_LIMIT: z.coerce.number().int().min(1).max(1000).default(20),
  /** Messages a consumer handles at once (of different aggregates). */
  CONSUMER_PREFETCH: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * Messages a batch consumer (the audit log) applies in one transaction; its queue's prefetch
   * is twice this. At least 2 (the batch subscriber's minimum).
   */
  CONSUMER_BATCH_SIZE: z.coerce.number().int().min(2).max(1000).default(200),
  /** A batch is handed over once no message came for this long, full or not. */
  CONSUMER_BATCH_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(20),
  /** How often the outbox relay looks for rows when no notification woke it. */
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  /** Publishes of a row the broker refuses (e.g. unroutable) before it is parked as FAILED. */
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
};

/** A service's pool variables; each service picks its default size (the budget in the README). */
export function databasePoolShape(defaultPoolSize: number) {
  return {
    /** Connections in this process's pool (the LISTEN session comes on top). */
    DATABASE_POOL_SIZE: z.coerce
      .number()
      .int()
      .min(MIGRATION_CONNECTIONS)
      .max(1000)
      .default(defaultPoolSize),
    /** How long a statement waits for a pooled (or new) connection before it fails as unavailable. */
    DATABASE_POOL_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  };
}

export interface DatabasePoolConfig {
  DATABASE_POOL_SIZE: number;
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: number;
}

/**
 * A refinement refusing a pool too small for the event handlers the service runs at once
 * (see `minimumPoolSize`), naming both variables that decide it.
 */
export function requirePoolFor<C extends DatabasePoolConfig & { CONSUMER_PREFETCH: number }>(
  demandOf: (config: C) => PoolDemand,
) {
  return (config: C, ctx: z.RefinementCtx<C>): void => {
    const demand = demandOf(config);
    const required = minimumPoolSize(demand);
    if (config.DATABASE_POOL_SIZE >= required) return;
    ctx.addIssue({
      code: 'custom',
      message:
        `DATABASE_POOL_SIZE=${config.DATABASE_POOL_SIZE} could deadlock: with CONSUMER_PREFETCH=${config.CONSUMER_PREFETCH}, ` +
        `${demand.handlers} handlers may each hold ${demand.connectionsPerHandler} connections at once, ` +
        `which needs a pool of at least ${required}; raise DATABASE_POOL_SIZE or lower CONSUMER_PREFETCH`,
    });
  };
}

export const baseConfigSchema = z.object(baseConfigShape);
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** What `loadConfig` learnt while parsing, so production checks can tell a default from a value. */
interface ConfigProvenance {
  supplied: ReadonlySet<string>;
  defaults: Readonly<Record<string, unknown>>;
}

const provenance = new WeakMap<object, ConfigProvenance>();

function isZodObject(schema: z.ZodType): schema is z.ZodObject {
  return schema instanceof z.ZodObject;
}

/** Every schema default, found by parsing "absent" per key. */
function defaultsOf(schema: z.ZodType): Record<string, unknown> {
  if (!isZodObject(schema)) return {};
  const defaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const parsed = (field as z.ZodType).safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) defaults[key] = parsed.data;
  }
  return defaults;
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  present: Record<string, unknown>,
): string {
  const lines = issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : '(configuration)';
    const missing = issue.path.length > 0 && !(String(issue.path[0]) in present);
    const reason = missing ? 'is required' : issue.message;
    return `  - ${name}: ${reason}`;
  });
  return `Invalid configuration:\n${lines.join('\n')}`;
}

/**
 * Parses `env` with `schema` once. An empty variable counts as unset, so `.env` files can
 * list every name. Throws a `ConfigError` naming each invalid variable and why — never its
 * value, which may be a secret. In production the base secrets are required here already.
 */
export function loadConfig<S extends z.ZodTypeAny>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  options: {
    /** Secrets required in production besides SERVICE_TOKEN_SECRET; all missing ones are named at once. */
    productionSecrets?: string[];
  } = {},
): z.infer<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  // reportInput is off by default in zod 4; keeping the input out of issues keeps secrets out of messages.
  const parsed = schema.safeParse(present);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, present));
  const config = parsed.data as z.infer<S>;
  if (typeof config === 'object' && config !== null) {
    provenance.set(config, {
      supplied: new Set(Object.keys(present)),
      defaults: defaultsOf(schema),
    });
    const record = config as Record<string, unknown>;
    if (record.NODE_ENV === 'production') {
      const secrets = [
        ...('SERVICE_TOKEN_SECRET' in record ? ['SERVICE_TOKEN_SECRET'] : []),
        ...(options.productionSecrets ?? []),
      ];
      requireInProduction(record, ...secrets);
    }
  }
  return config;
}

/**
 * In production, refuses to go on unless each named variable was set explicitly and differs
 * from its local-development default. Throws one `ConfigError` naming every offender.
 */
export function requireInProduction<C extends object>(
  config: C,
  ...names: Array<keyof C & string>
): void {
  const record = config as Record<string, unknown>;
  if (record.NODE_ENV !== 'production') return;
  const known = provenance.get(config);
  const problems: string[] = [];
  for (const name of names) {
    const value = record[name];
    const fallback =
      known?.defaults[name] ??
      (name === 'SERVICE_TOKEN_SECRET' ? LOCAL_SERVICE_TOKEN_SECRET : undefined);
    if (value === undefined || value === '' || (known && !known.supplied.has(name))) {
      problems.push(`  - ${name}: must be set in production`);
    } else if (fallback !== undefined && value === fallback) {
      problems.push(`  - ${name}: must not be the local development default in production`);
    }
  }
  if (problems.length > 0)
    throw new ConfigError(`Missing production secrets:\n${problems.join('\n')}`);
}
