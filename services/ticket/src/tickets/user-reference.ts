/**
 * A reference to a user of the user subgraph: the gateway fetches the user's own fields
 * from there, so resolving it here costs no query.
 */
export interface UserReference {
  __typename: 'User';
  id: string;
}

export function userReference(id: string): UserReference {
  return { __typename: 'User', id };
}
