/** The HTTP paths every process serves, apart from the framework that serves them. */

export const GRAPHQL_PATH = '/graphql';

/** Probes and scrape endpoint; the request middleware lets these through without a credential. */
export const PUBLIC_PATHS = ['/health/live', '/health/ready', '/metrics'] as const;
