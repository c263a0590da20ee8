import { startTracing } from '@servicedesk/platform/tracing';

// Imported first by main.ts: the instrumentations must be in place before express and http
// are loaded by the rest of the gateway.
startTracing('gateway');
