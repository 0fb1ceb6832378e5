/**
 * Names from an XML Schema (.xsd): for each complex type, the attributes (with whether they
 * are required and their simple type) and the child elements (with their types), bases
 * merged in; the enumerations of the simple types; the global elements. Made to check
 * DAWproject exports against the names of the format's Project.xsd and MetaData.xsd without
 * keeping the schema's text in this repository:
 *
 *   node bin/run-ts.js tests/helpers/xsd-names.ts <Project.xsd> <MetaData.xsd> > tests/fixtures/dawproject-1.0-names.json
 *
 * (the .xsd files are in the public bitwig/dawproject repository).
 */
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

export interface SchemaNames {
  /** Global element name → its type. */
  readonly elements: Record<string, string>;
  readonly types: Record<string, { readonly attributes: Record<string, { readonly required: boolean; readonly type: string }>; readonly children: Record<string, string>; readonly abstract?: boolean }>;
  readonly enums: Record<string, readonly string[]>;
}

type X = Record<string, unknown>;
const list = (value: unknown): X[] => (value === undefined ? [] : Array.isArray(value) ? (value as X[]) : [value as X]);

export function schemaNames(sources: readonly string[]): SchemaNames {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true });
  const names: SchemaNames = { elements: {}, types: {}, enums: {} };
  const raw: Record<string, { node: X; base?: string }> = {};
  for (const source of sources) {
    const schema = (parser.parse(source) as X).schema as X;
    for (const element of list(schema.element)) names.elements[element['@name'] as string] = element['@type'] as string;
    for (const simple of list(schema.simpleType)) {
      const restriction = simple.restriction as X | undefined;
      if (restriction) names.enums[simple['@name'] as string] = list(restriction.enumeration).map((entry) => entry['@value'] as string);
    }
    for (const complex of list(schema.complexType)) raw[complex['@name'] as string] = { node: complex };
  }
  const own = new Map<string, { attributes: Record<string, { required: boolean; type: string }>; children: Record<string, string>; base?: string }>();
  const collect = (typeName: string, node: X): void => {
    const attributes: Record<string, { required: boolean; type: string }> = {};
    const children: Record<string, string> = {};
    let base: string | undefined;
    const walk = (current: X): void => {
      for (const [key, value] of Object.entries(current)) {
        if (key.startsWith('@') || key === '#text') continue;
        for (const child of list(value)) {
          if (key === 'attribute') {
            const simple = child.simpleType as X | undefined;
            const listType = (simple?.list as X | undefined)?.['@itemType'] as string | undefined;
            attributes[child['@name'] as string] = { required: child['@use'] === 'required', type: listType ? `list:${listType}` : ((child['@type'] as string) ?? 'xs:string') };
          } else if (key === 'element') {
            if (child['@ref']) children[child['@ref'] as string] = names.elements[child['@ref'] as string] ?? (child['@ref'] as string);
            else if (child['@type']) children[child['@name'] as string] = child['@type'] as string;
            else {
              const anonymous = `${typeName}/${child['@name'] as string}`;
              children[child['@name'] as string] = anonymous;
              collect(anonymous, (child.complexType as X) ?? {});
            }
          } else if (key === 'extension') {
            base = child['@base'] as string;
            walk(child);
          } else walk(child);
        }
      }
    };
    walk(node);
    own.set(typeName, { attributes, children, base });
  };
  for (const [name, { node }] of Object.entries(raw)) collect(name, node);
  const resolve = (typeName: string): SchemaNames['types'][string] => {
    const entry = own.get(typeName)!;
    const inherited = entry.base ? resolve(entry.base) : { attributes: {}, children: {} };
    return { attributes: { ...inherited.attributes, ...entry.attributes }, children: { ...inherited.children, ...entry.children }, ...(raw[typeName]?.node['@abstract'] === 'true' ? { abstract: true } : {}) };
  };
  for (const name of [...own.keys()].sort()) names.types[name] = resolve(name);
  return names;
}

/** Entry for bin/run-ts.js: the names of the schema files given, as JSON on stdout. */
export function main(paths: readonly string[]): number {
  process.stdout.write(`${JSON.stringify(schemaNames(paths.map((path) => readFileSync(path, 'utf8'))), null, 1)}\n`);
  return 0;
}
