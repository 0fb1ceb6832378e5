/**
 * Source locations for semantic errors, found with ts-morph: a diagnostic that carries the
 * path of the value it is about (`['tracks', 'bass', 'parts', 'verse', 3]`) is pointed at the
 * syntax that wrote it. The walk follows object properties, array elements and identifiers
 * declared in the song file; where a value was made by a call (`grid(...)`, `bassPart(true)`)
 * or a spread, it stops there: the call that made the value is the location.
 */
import type { Node as MorphNode, Project as MorphProject } from 'ts-morph';
import { codeFrame, type Diagnostic } from '../diagnostics/diagnostic.ts';

/** Keys and indices from the song object down to a value. */
export type SourcePath = readonly (string | number)[];

/** Diagnostics that carry a path get the line, column and frame of the syntax that made the value. */
export async function refineLocations(diagnostics: readonly Diagnostic[], file: string, text: string | undefined): Promise<Diagnostic[]> {
  if (!text || !diagnostics.some((diagnostic) => diagnostic.path && diagnostic.file === file)) return [...diagnostics];
  const { Project, Node, SyntaxKind } = await import('ts-morph');
  const project: MorphProject = new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: true } });
  const sourceFile = project.createSourceFile('song.ts', text);
  const root = songObject(sourceFile, Node, SyntaxKind);
  return diagnostics.map((diagnostic) => {
    if (!diagnostic.path || diagnostic.file !== file || !root) return diagnostic;
    const node = walk(root, diagnostic.path, Node, SyntaxKind);
    const { line, column } = sourceFile.getLineAndColumnAtPos(node.getStart());
    return { ...diagnostic, line, column, frame: codeFrame(text, line, column) };
  });
}

type NodeApi = typeof import('ts-morph').Node;
type Kinds = typeof import('ts-morph').SyntaxKind;

/** The object literal the song's default export evaluates to (through defineSong and arrow functions). */
function songObject(sourceFile: import('ts-morph').SourceFile, Node: NodeApi, SyntaxKind: Kinds): MorphNode | undefined {
  const assignment = sourceFile.getExportAssignment((entry) => !entry.isExportEquals());
  let node: MorphNode | undefined = assignment?.getExpression();
  for (let guard = 0; node && guard < 10; guard++) {
    if (Node.isCallExpression(node)) node = node.getArguments()[0];
    else if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
      const body = node.getBody();
      node = Node.isBlock(body) ? body.getDescendantsOfKind(SyntaxKind.ReturnStatement)[0]?.getExpression() : body;
    } else if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node)) node = node.getExpression();
    else if (Node.isIdentifier(node)) node = declaredValue(node, Node);
    else return node;
  }
  return node;
}

/** Follow `path` as far as the syntax goes; the deepest node reached is the location. */
function walk(start: MorphNode, path: SourcePath, Node: NodeApi, SyntaxKind: Kinds): MorphNode {
  let node = start;
  for (const [index, step] of path.entries()) {
    const value = unwrap(node, Node);
    if (!value) return node;
    let next: MorphNode | undefined;
    if (typeof step === 'string' && Node.isObjectLiteralExpression(value)) {
      const property = value.getProperty((entry) => (Node.isPropertyAssignment(entry) || Node.isShorthandPropertyAssignment(entry)) && propertyName(entry, Node) === step);
      // A path that ends at a key (an unknown section, an automation target) points at the key.
      if (property && index === path.length - 1) next = property;
      else if (Node.isPropertyAssignment(property)) next = property.getInitializer();
      else if (Node.isShorthandPropertyAssignment(property)) next = property.getNameNode();
    } else if (typeof step === 'number') {
      let list: MorphNode | undefined = value;
      // A part written as { notes: [...], length } holds its notes one level down.
      if (Node.isObjectLiteralExpression(value)) {
        const notes = value.getProperty('notes');
        list = Node.isPropertyAssignment(notes) ? unwrap(notes.getInitializer()!, Node) : undefined;
      }
      if (list && Node.isArrayLiteralExpression(list)) {
        const elements = list.getElements();
        // Past a spread, indices no longer match the written elements: stop at the array.
        const spread = elements.findIndex((element) => element.getKind() === SyntaxKind.SpreadElement);
        if (spread === -1 || step < spread) next = elements[step];
        else return list;
      }
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

/** A value node with casts and parentheses removed and same-file identifiers followed; calls stay. */
function unwrap(node: MorphNode, Node: NodeApi): MorphNode | undefined {
  let current: MorphNode | undefined = node;
  for (let guard = 0; current && guard < 10; guard++) {
    if (Node.isParenthesizedExpression(current) || Node.isAsExpression(current) || Node.isSatisfiesExpression(current)) current = current.getExpression();
    else if (Node.isIdentifier(current)) {
      const declared = declaredValue(current, Node);
      if (!declared) return current;
      current = declared;
    } else return current;
  }
  return current;
}

function declaredValue(identifier: MorphNode, Node: NodeApi): MorphNode | undefined {
  if (!Node.isIdentifier(identifier)) return undefined;
  const declaration = identifier.getSymbol()?.getDeclarations()[0];
  return declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
}

function propertyName(entry: MorphNode, Node: NodeApi): string | undefined {
  if (!Node.isPropertyAssignment(entry) && !Node.isShorthandPropertyAssignment(entry)) return undefined;
  const name = entry.getNameNode();
  return Node.isStringLiteral(name) ? name.getLiteralValue() : name.getText();
}
