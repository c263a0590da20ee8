import { startTracing } from '@servicedesk/platform/tracing';

// Imported first by main.ts: instrumentation must be in place before http, express and pg load.
startTracing('notification');
