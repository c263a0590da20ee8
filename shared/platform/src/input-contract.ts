import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTNode,
  DocumentNode,
  GraphQLError,
  GraphQLInputType,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  TypeInfo,
  ValueNode,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { BadUserInputError } from './errors';
import { unreadableTextProblem } from './validation';

/**
 * The input contract every subgraph enforces before any resolver runs: each `String`
 * argument or input field has a declared maximum length, and no text (`String` or `ID`)
 * carries a NUL character or an unpaired surrogate.
 */

/** Longest value, in characters, of each text position, by schema coordinate (`Type.field`, `Type.field(arg:)`). */
export type TextLimits = Readonly<Record<string, number>>;

/** Ids are UUIDs; anything much longer names nothing and is refused before it is looked up. */
export const ID_MAX_LENGTH = 64;

/** Opaque pagination cursors (`after`) of every list. */
export const CURSOR_MAX_LENGTH = 512;

/** Every position of `schema` where clients send text, with whether it is an `ID`. */
export function textInputCoordinates(schema: GraphQLSchema): Map<string, 'String' | 'ID'> {
  const coordinates = new Map<string, 'String' | 'ID'>();
  const note = (coordinate: string, type: GraphQLInputType) => {
    const named = getNamedType(type).name;
    if (named === 'String' || named === 'ID') coordinates.set(coordinate, named);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        for (const arg of field.args) note(`${type.name}.${field.name}(${arg.name}:)`, arg.type);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        note(`${type.name}.${field.name}`, field.type);
      }
    }
  }
  return coordinates;
}

/** Start-up check: a `String` position without a declared limit, or a limit for no position, is a mistake. */
export function assertTextLimitsCover(schema: GraphQLSchema, limits: TextLimits): void {
  const coordinates = textInputCoordinates(schema);
  const missing = [...coordinates]
    .filter(([coordinate, kind]) => kind === 'String' && limits[coordinate] === undefined)
    .map(([coordinate]) => coordinate);
  const unknown = Object.keys(limits).filter(
    (coordinate) => coordinates.get(coordinate) !== 'String',
  );
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `text limits do not match the schema: missing ${missing.join(', ') || 'none'}; unknown ${unknown.join(', ') || 'none'}`,
    );
  }
}

function refuse(field: string, problem: string): never {
  const message = `${field}: ${problem}`;
  throw new GraphQLError(message, {
    originalError: new BadUserInputError(field, message),
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

function checkValue(
  value: unknown,
  type: GraphQLInputType,
  path: string[],
  coordinate: string,
  limits: TextLimits,
): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(value, type.ofType, path, coordinate, limits);
  if (isListType(type)) {
    // A single value where a list is expected is coerced into a list of one.
    if (!Array.isArray(value)) return checkValue(value, type.ofType, path, coordinate, limits);
    value.forEach((item, index) =>
      checkValue(item, type.ofType, [...path, String(index)], coordinate, limits),
    );
    return;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return;
    const fields = type.getFields();
    for (const [name, inner] of Object.entries(value)) {
      const field = fields[name];
      if (field) checkValue(inner, field.type, [...path, name], `${type.name}.${name}`, limits);
    }
    return;
  }
  if (!isScalarType(type) || typeof value !== 'string') return;
  if (type.name !== 'String' && type.name !== 'ID') return;
  const problem = unreadableTextProblem(value);
  if (problem) refuse(path.join('.'), problem);
  const max = type.name === 'ID' ? ID_MAX_LENGTH : limits[coordinate];
  if (max !== undefined && [...value].length > max) {
    refuse(path.join('.'), `must be at most ${max} characters`);
  }
}

/** Checks every argument of every field the operation selects, literal or variable. */
export function checkTextInputs(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  limits: TextLimits,
): void {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    values[name] =
      name in variables
        ? variables[name]
        : definition.defaultValue && valueFromASTUntyped(definition.defaultValue);
  }
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Argument(node) {
      const arg = typeInfo.getArgument();
      const parent = typeInfo.getParentType();
      const field = typeInfo.getFieldDef();
      if (!arg || !parent || !field) return;
      const coordinate = `${parent.name}.${field.name}(${arg.name}:)`;
      checkValue(valueFromASTUntyped(node.value, values), arg.type, [arg.name], coordinate, limits);
    },
  });
  // The operation that runs and the fragments it may spread; other operations do not run.
  for (const definition of document.definitions) {
    if (definition === operation || definition.kind === Kind.FRAGMENT_DEFINITION) {
      visit(definition, visitor);
    }
  }
}

/**
 * The Apollo plugin that applies the contract: at start-up it checks that `declared` covers
 * every `String` position of the schema; on each request, before execution, it refuses the
 * first text that breaks the contract with BAD_USER_INPUT naming its field (`input.title`).
 */
export function inputContractPlugin(declared?: TextLimits): ApolloServerPlugin {
  const limits = declared ?? {};
  return {
    async serverWillStart({ schema }) {
      if (declared) assertTextLimitsCover(schema, declared);
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (operation) checkTextInputs(schema, document, operation, request.variables, limits);
        },
      };
    },
  };
}

/** Every value node given to an argument in `document`, nested ones included, with its input path. */
function argumentValues(document: DocumentNode): Array<[ValueNode, string[]]> {
  const found: Array<[ValueNode, string[]]> = [];
  const descend = (value: ValueNode, path: string[]) => {
    found.push([value, path]);
    if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) descend(field.value, [...path, field.name.value]);
    } else if (value.kind === Kind.LIST) {
      value.values.forEach((item, index) => descend(item, [...path, String(index)]));
    }
  };
  visit(document, { Argument: (node) => descend(node.value, [node.name.value]) });
  return found;
}

const sameNode = (a: ASTNode, b: ASTNode) =>
  a.kind === b.kind && a.loc?.start === b.loc?.start && a.loc?.end === b.loc?.end;

/**
 * The input path (`from`, `input.startsAt`) of the value a GraphQL error is about: a literal
 * that failed validation, or a variable that failed coercion (its path within the variable
 * is in graphql-js's message, `at "input.startsAt"`). Undefined when the error is about no value.
 */
export function inputPathOf(error: GraphQLError): string | undefined {
  const node = error.nodes?.[0];
  const body = error.source?.body;
  if (!node?.loc || body === undefined) return undefined;
  const document = parse(body);
  if (node.kind === Kind.VARIABLE_DEFINITION) {
    const name = node.variable.name.value;
    for (const [value, path] of argumentValues(document)) {
      if (value.kind !== Kind.VARIABLE || value.name.value !== name) continue;
      const within = /at "([^"]+)"/.exec(error.message)?.[1];
      const inner = within?.startsWith(name) ? within.slice(name.length) : '';
      const innerSegments = inner.split(/[.[\]]/).filter(Boolean);
      return [...path, ...innerSegments].join('.');
    }
    return name;
  }
  for (const [value, path] of argumentValues(document)) {
    if (sameNode(value, node)) return path.join('.');
  }
  return undefined;
}
