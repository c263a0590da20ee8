import { dataOf, errorOf } from '@servicedesk/testing';
import { SignJWT, generateKeyPair } from 'jose';
import { Actor, createTicket, loginAdmin, register } from './actors';
import { startStack, Stack } from './stack';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('bad callers and bad input through the gateway', () => {
  let stack: Stack;
  let customer: Actor;

  beforeAll(async () => {
    stack = await startStack();
    customer = await register(stack, 'Ada');
  });

  afterAll(async () => {
    await stack?.close();
  });

  const ME = '{ me { id } }';

  async function claimsFor(actor: Actor) {
    return { sub: actor.id, role: 'CUSTOMER' };
  }

  it('answers UNAUTHENTICATED to a request that needs a signed-in user but has no token', async () => {
    const response = await stack.api.query(
      `mutation { createTicket(input: {title: "x", description: "y"}) { id } }`,
    );
    expect(errorOf(response).code).toBe('UNAUTHENTICATED');
  });

  it('answers UNAUTHENTICATED to a token with alg "none"', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT', kid: stack.signingKey.kid })}.${base64url(
      {
        ...(await claimsFor(customer)),
        iss: 'servicedesk-user',
        aud: 'servicedesk',
        exp: Math.floor(Date.now() / 1000) + 600,
      },
    )}.`;
    expect(errorOf(await stack.api.query(ME, {}, token)).code).toBe('UNAUTHENTICATED');
  });

  it('answers UNAUTHENTICATED to a token signed with a key the user service never published', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT(await claimsFor(customer))
      .setProtectedHeader({ alg: 'EdDSA', kid: stack.signingKey.kid })
      .setIssuer('servicedesk-user')
      .setAudience('servicedesk')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect(errorOf(await stack.api.query(ME, {}, token)).code).toBe('UNAUTHENTICATED');
  });

  it('answers UNAUTHENTICATED to an expired token signed with the real key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(await claimsFor(customer))
      .setProtectedHeader({ alg: 'EdDSA', kid: stack.signingKey.kid })
      .setIssuer('servicedesk-user')
      .setAudience('servicedesk')
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(stack.signingKey.key);
    expect(errorOf(await stack.api.query(ME, {}, token)).code).toBe('UNAUTHENTICATED');
  });

  it('accepts a valid token signed with the real key (the forged ones above differ only in what is checked)', async () => {
    const token = await new SignJWT(await claimsFor(customer))
      .setProtectedHeader({ alg: 'EdDSA', kid: stack.signingKey.kid })
      .setIssuer('servicedesk-user')
      .setAudience('servicedesk')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stack.signingKey.key);
    expect(dataOf(await stack.api.query<{ me: { id: string } }>(ME, {}, token)).me.id).toBe(
      customer.id,
    );
  });

  it.each(['user', 'ticket', 'audit'] as const)(
    'has the %s subgraph refuse a direct call without the service credential with HTTP 401',
    async (name) => {
      const response = await fetch(stack.subgraphUrls[name], {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
    },
  );

  it('rejects bad input with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const before = dataOf(
      await customer.query<{ tickets: { edges: unknown[] } }>(
        '{ tickets(first: 100) { edges { cursor } } }',
      ),
    );
    const response = await customer.query(
      `mutation { createTicket(input: {title: "", description: "no title"}) { id } }`,
    );
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.title' });
    const after = dataOf(
      await customer.query<{ tickets: { edges: unknown[] } }>(
        '{ tickets(first: 100) { edges { cursor } } }',
      ),
    );
    expect(after.tickets.edges.length).toBe(before.tickets.edges.length);
  });

  it('still answers the rest of a query when one subgraph is down, with SERVICE_UNAVAILABLE for the missing part', async () => {
    const admin = await loginAdmin(stack);
    const ticket = await createTicket(customer, { title: 'Partial answers' });
    await stack.stopSubgraph('audit');
    const response = await admin.query<{ ticket: { title: string; auditTrail: unknown } }>(
      `query($id: ID!) { ticket(id: $id) { title auditTrail(first: 5) { edges { cursor } } } }`,
      { id: ticket.id },
    );
    expect(response.data?.ticket?.title).toBe('Partial answers');
    expect(errorOf(response).code).toBe('SERVICE_UNAVAILABLE');
  });
});
