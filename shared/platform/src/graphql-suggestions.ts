// GraphQL's "Did you mean …?" hints name parts of the schema the client did not ask about:
// production answers, of the gateway and of every subgraph, leave them out.

/** graphql-js appends its hints at the end of a sentence: ` Did you mean "a", "b", or "c"?`. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}
