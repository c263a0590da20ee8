import { Writable } from 'node:stream';
import {
  Args,
  GraphQLModule,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import { ApolloFederationDriverConfig } from '@nestjs/apollo';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import {
  Column,
  DataSource,
  Entity,
  MigrationInterface,
  PrimaryGeneratedColumn,
  QueryRunner,
} from 'typeorm';
import {
  BadUserInputError,
  BaseConfig,
  ConflictError,
  DatabaseModule,
  ForbiddenError,
  Identity,
  Logger,
  ManagementEndpoints,
  NotFoundError,
  PlatformModule,
  ReadinessCheck,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
  ServiceUnavailableError,
  UnauthenticatedError,
  baseConfigSchema,
  createDataSource,
  createLogger,
  currentContext,
  currentIdentity,
  loadConfig,
  migrate,
  requireRole,
  signServiceToken,
  subgraphGraphQLOptions,
} from '@servicedesk/platform';
import { TestResource, createTestDatabase, testInfrastructure } from '@servicedesk/testing';

/** A minimal subgraph exercising everything the platform provides to a real service. */
export const PROBE_SERVICE = 'probe';
// `user` on purpose: a reserved word, so the schema name must be quoted everywhere.
export const PROBE_SCHEMA = 'user';

@Entity({ name: 'note' })
export class NoteEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  body!: string;
}

export class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE "${PROBE_SCHEMA}"."note" (id serial PRIMARY KEY, body text NOT NULL)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "${PROBE_SCHEMA}"."note"`);
  }
}

/** A fresh test database with the probe's schema migrated; `drop()` removes it. */
export async function createProbeDatabase(): Promise<TestResource> {
  const database = await createTestDatabase();
  const dataSource = createProbeDataSource(database.url);
  try {
    await migrate(dataSource, PROBE_SCHEMA);
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    await dataSource.destroy().catch(() => undefined);
  }
  return database;
}

export function createProbeDataSource(
  url: string,
  options: { logger?: Logger; registry?: Registry } = {},
): DataSource {
  return createDataSource({
    url,
    schema: PROBE_SCHEMA,
    entities: [NoteEntity],
    migrations: [CreateNotes1700000000000],
    ...options,
  });
}

const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    whoami: Caller
    correlationId: String
    adminOnly: String!
    noteCount: Int!
    fail(code: String!): Boolean
    widget(id: ID!): Widget
    gatedNoteCount: Int!
  }

  type Mutation {
    addNote(body: String!): Int!
  }

  type Caller {
    userId: ID!
    role: String!
  }

  type Widget @key(fields: "id") {
    id: ID!
    secret: String!
  }
`;

/** What the resolvers observed, so tests can prove a rejected request never reached them. */
export const probeCalls = { count: 0 };

/** Holds `gatedNoteCount` in flight until the test opens it; `entered` says it is in flight. */
export function createGate() {
  let open!: () => void;
  let enter!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  return { released, entered, open, enter };
}

export const probeGate = { current: createGate() };

const failures: Record<string, () => Error> = {
  BAD_USER_INPUT: () => new BadUserInputError('input.email', 'must be an email address'),
  NOT_FOUND: () => new NotFoundError('Ticket', '42'),
  CONFLICT: () => new ConflictError('version mismatch'),
  FORBIDDEN: () => new ForbiddenError('not yours'),
  UNAUTHENTICATED: () => new UnauthenticatedError('sign in'),
  SERVICE_UNAVAILABLE: () => new ServiceUnavailableError('broker'),
  CONNECTION: () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  UNKNOWN: () => new Error('secret internal detail at /srv/app.ts:12'),
};

@Resolver()
class ProbeResolver {
  constructor(private readonly dataSource: DataSource) {}

  @Query()
  whoami() {
    probeCalls.count += 1;
    return currentIdentity();
  }

  @Query()
  correlationId() {
    return currentContext()?.correlationId ?? null;
  }

  @Query()
  adminOnly() {
    return requireRole('ADMIN').userId;
  }

  @Query()
  noteCount() {
    return this.dataSource.getRepository(NoteEntity).count();
  }

  @Mutation()
  async addNote(@Args('body') body: string) {
    const note = await this.dataSource.getRepository(NoteEntity).save({ body });
    return note.id;
  }

  @Query()
  fail(@Args('code') code: string) {
    throw failures[code]();
  }

  @Query()
  async gatedNoteCount() {
    probeGate.current.enter();
    await probeGate.current.released;
    return this.dataSource.getRepository(NoteEntity).count();
  }

  @Query()
  widget(@Args('id') id: string) {
    return { id };
  }
}

@Resolver('Widget')
class WidgetResolver {
  @ResolveReference()
  resolveReference(reference: { id: string }) {
    if (reference.id === 'missing') throw new NotFoundError('Widget', reference.id);
    return { id: reference.id };
  }

  @ResolveField()
  secret(@Parent() widget: { id: string }) {
    requireRole('ADMIN');
    if (widget.id === 'broken') throw new Error('field resolver crashed with internals');
    return `secret of ${widget.id}`;
  }
}

/** A readiness check the tests can switch off. */
export const switchableCheck = {
  down: false,
  check: {
    name: 'switchable',
    async check() {
      if (switchableCheck.down) throw new Error('switched off by the test');
    },
  } satisfies ReadinessCheck,
};

@Module({})
class ProbeAppModule {
  static forRoot(config: BaseConfig, databaseUrl: string, logger: Logger): DynamicModule {
    return {
      module: ProbeAppModule,
      imports: [
        PlatformModule.forRoot({
          service: PROBE_SERVICE,
          config,
          logger,
          readinessChecks: [switchableCheck.check],
        }),
        DatabaseModule.forRoot((deps) => createProbeDataSource(databaseUrl, deps)),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>(
          subgraphGraphQLOptions({ typeDefs, production: false }),
        ),
      ],
      providers: [ProbeResolver, WidgetResolver],
    };
  }
}

/** A logger whose JSON lines the test can read. */
export function capturingLogger(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: createLogger(PROBE_SERVICE, level, stream), lines };
}

export function probeConfig(databaseUrl: string): BaseConfig {
  return loadConfig(baseConfigSchema, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
}

/** The secret every probe app verifies service credentials with (the local default). */
export function probeSecret(): string {
  return probeConfig(testInfrastructure.databaseUrl).SERVICE_TOKEN_SECRET;
}

/** A service credential for the probe, as the gateway signs it; override to forge a bad one. */
export function probeCredential(
  identity: Identity | null = null,
  overrides: { audience?: string; secret?: string } = {},
): Promise<string> {
  return signServiceToken(overrides.secret ?? probeSecret(), {
    issuer: 'gateway',
    audience: overrides.audience ?? PROBE_SERVICE,
    identity,
  });
}

/** The headers of a gateway call to the probe on behalf of `identity`. */
export async function gatewayHeaders(
  identity: Identity | null = null,
): Promise<Record<string, string>> {
  return {
    [SERVICE_NAME_HEADER]: 'gateway',
    [SERVICE_TOKEN_HEADER]: await probeCredential(identity),
  };
}

/** The base URL of the app's probes and metrics, on its management port. */
export function managementUrlOf(app: INestApplication): string {
  return `http://127.0.0.1:${app.get(ManagementEndpoints).port}`;
}

export async function createProbeApp(
  databaseUrl: string,
  logger: Logger = createLogger(PROBE_SERVICE, 'silent'),
): Promise<INestApplication> {
  const app = await NestFactory.create(
    ProbeAppModule.forRoot(probeConfig(databaseUrl), databaseUrl, logger),
    {
      logger: false,
      abortOnError: false,
    },
  );
  await app.init();
  return app;
}
