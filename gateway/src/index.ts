export { createGateway, readSupergraph } from './gateway';
export type { GatewayOptions, RunningGateway } from './gateway';
export { loadGatewayConfig } from './config';
export type { GatewayConfig, SubgraphEndpoint } from './config';
export { SUBGRAPHS, SUPERGRAPH_PATH, SUBGRAPH_LIST_PATH, subgraphUrlVariable } from './subgraphs';
export type { SubgraphDefinition } from './subgraphs';
