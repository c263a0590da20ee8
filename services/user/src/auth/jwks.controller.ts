import { Controller, Get, Header } from '@nestjs/common';
import { JSONWebKeySet } from 'jose';
import { KeyRing } from './signing-keys';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The public keys access tokens are verified with. Public by nature: the gateway (and
 * anyone else) fetches it without a service credential. Caches may keep it briefly; a
 * verifier that meets an unknown `kid` refetches.
 */
@Controller()
export class JwksController {
  constructor(private readonly keys: KeyRing) {}

  @Get(JWKS_PATH.slice(1))
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): JSONWebKeySet {
    return this.keys.jwks();
  }
}
