/** Injection tokens PlatformModule provides to every module of a service. */
export const LOGGER: unique symbol = Symbol('servicedesk.logger');
export const METRICS_REGISTRY: unique symbol = Symbol('servicedesk.metrics-registry');
export const PLATFORM_OPTIONS: unique symbol = Symbol('servicedesk.platform-options');
