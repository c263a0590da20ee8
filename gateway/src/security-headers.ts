// The headers every gateway answer carries (helmet) and the browser origins allowed to call it
// (CORS_ORIGINS); an API answers JSON only, so its policy forbids everything a page could load.
import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';

/** A year, the value HSTS preload lists expect. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Request headers a browser client may send besides the CORS-safelisted ones. */
const ALLOWED_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'x-correlation-id',
  'apollo-require-preflight',
];

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

export const securityHeadersShape = {
  /**
   * Browser origins allowed to call the API, comma-separated (`https://desk.example.com`);
   * empty, no cross-origin browser access.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    )
    .refine((origins) => origins.every(isOrigin), {
      message: 'must be comma-separated origins like https://desk.example.com (no path)',
    }),
};

export interface SecurityHeadersConfig {
  NODE_ENV: string;
  CORS_ORIGINS: string[];
}

/** No source of any kind: an answer of this API is data, never a page that loads things. */
const API_POLICY = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * The explorer landing page (outside production) runs Apollo's sandbox from its CDN with
 * inline bootstrap scripts; it still may not be framed by another site.
 */
const LANDING_PAGE_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  scriptSrc: ["'self'", "'unsafe-inline'", 'https://embeddable-sandbox.cdn.apollographql.com'],
  styleSrc: ["'self'", "'unsafe-inline'", 'https:'],
  imgSrc: ["'self'", 'data:', 'https://apollo-server-landing-page.cdn.apollographql.com'],
  manifestSrc: ["'self'", 'https://apollo-server-landing-page.cdn.apollographql.com'],
  frameSrc: ['https://sandbox.embed.apollographql.com'],
  connectSrc: ["'self'", 'https:'],
  fontSrc: ["'self'", 'https:', 'data:'],
};

function headersWith(directives: Record<string, string[]>, production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only in production, where the gateway is reached over HTTPS: on a developer's
    // http://localhost a pinned HSTS would break every other local site on that name.
    strictTransportSecurity: production
      ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true }
      : false,
  });
}

/** Security headers on every answer, errors included: mounted before anything that answers. */
export function securityHeaders(config: SecurityHeadersConfig): RequestHandler {
  const production = config.NODE_ENV === 'production';
  const api = headersWith(API_POLICY, production);
  if (production) return api;
  const landingPage = headersWith(LANDING_PAGE_POLICY, production);
  return (request, response, next) => {
    const wantsPage = request.method === 'GET' && request.accepts(['json', 'html']) === 'html';
    return (wantsPage ? landingPage : api)(request, response, next);
  };
}

/**
 * CORS for the listed origins only. A preflight from any other origin is answered without
 * `Access-Control-Allow-Origin`, so the browser refuses to send the request.
 */
export function corsPolicy(config: SecurityHeadersConfig): RequestHandler {
  return cors({
    origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_REQUEST_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}
