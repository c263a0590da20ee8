/**
 * A process's share of PostgreSQL connections: how its connections are named, how many it
 * opens besides its pool, and how small its pool may be before work can deadlock on it.
 */

/** What opens a connection outside the pool: the outbox relay's LISTEN session. */
export type ConnectionRole = 'listener';

/** Connections a process opens outside its pool: the outbox relay's LISTEN session. */
export const CONNECTIONS_OUTSIDE_POOL = 1;

/** A migration holds the advisory lock on one connection while it migrates on another. */
export const MIGRATION_CONNECTIONS = 2;

/**
 * `application_name` of a service's connections (`servicedesk-ticket`,
 * `servicedesk-ticket-listener`), by which pg_stat_activity tells the services apart.
 */
export function applicationName(service: string, role?: ConnectionRole): string {
  return role ? `servicedesk-${service}-${role}` : `servicedesk-${service}`;
}

/** Connections one process of a service opens at most: its pool and the LISTEN session. */
export function processConnections(poolSize: number): number {
  return poolSize + CONNECTIONS_OUTSIDE_POOL;
}

/** What the event handlers of one process may ask of its pool at once. */
export interface PoolDemand {
  /** Handlers that may run at once: the prefetch times the queues consumed. */
  handlers: number;
  /** The most connections one handler holds at once (2 when it opens a separate transaction inside its own). */
  connectionsPerHandler: number;
}

/**
 * The smallest pool on which no handler can wait forever: even when every handler holds all
 * its connections but the last and waits for that one, a connection is left for one of them
 * (pool = handlers × (connections per handler − 1) + 1). Requests and background tasks hold
 * one connection at a time, so they only wait their turn. Never below what a migration needs.
 */
export function minimumPoolSize(demand: PoolDemand): number {
  const deadlockFree = demand.handlers * (demand.connectionsPerHandler - 1) + 1;
  return Math.max(MIGRATION_CONNECTIONS, deadlockFree);
}
