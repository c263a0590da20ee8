import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTNode,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  valueFromASTUntyped,
  visit,
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

/** Whether values of `type` can contain text to check (not, say, federation's `_Any` representations). */
function mayHoldText(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return isInputObjectType(named) || named.name === 'String' || named.name === 'ID';
}

function checkValue(
  value: unknown,
  type: GraphQLInputType,
  path: string[],
  coordinate: string,
  limits: TextLimits,
): void {
  if (value === null || value === undefined || !mayHoldText(type)) return;
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
  // Characters, not UTF-16 units; never more than units, so only a long value is counted.
  if (max !== undefined && value.length > max && [...value].length > max) {
    refuse(path.join('.'), `must be at most ${max} characters`);
  }
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Fragments already walked: each is checked once, however often it is spread. */
  walked: Set<string>;
  values: Record<string, unknown>;
  limits: TextLimits;
}

/**
 * Walks the selections by hand rather than with graphql-js's `visit` and `TypeInfo`, which
 * cost several times more on every request a subgraph serves.
 */
function checkSelections(selectionSet: SelectionSetNode, parent: GraphQLNamedType, walk: Walk) {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field =
        isObjectType(parent) || isInterfaceType(parent)
          ? parent.getFields()[selection.name.value]
          : undefined;
      if (!field) continue; // __typename, or a field validation has already refused
      for (const node of selection.arguments ?? []) {
        const arg = field.args.find((candidate) => candidate.name === node.name.value);
        if (!arg) continue;
        const coordinate = `${parent.name}.${field.name}(${arg.name}:)`;
        const value = valueFromASTUntyped(node.value, walk.values);
        checkValue(value, arg.type, [arg.name], coordinate, walk.limits);
      }
      if (selection.selectionSet) {
        checkSelections(selection.selectionSet, getNamedType(field.type), walk);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? walk.schema.getType(selection.typeCondition.name.value)
        : parent;
      if (type) checkSelections(selection.selectionSet, type, walk);
    } else if (!walk.walked.has(selection.name.value)) {
      walk.walked.add(selection.name.value);
      const fragment = walk.fragments.get(selection.name.value);
      const type = fragment && walk.schema.getType(fragment.typeCondition.name.value);
      if (fragment && type) checkSelections(fragment.selectionSet, type, walk);
    }
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
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return;
  checkSelections(operation.selectionSet, root, {
    schema,
    fragments,
    walked: new Set(),
    values,
    limits,
  });
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
