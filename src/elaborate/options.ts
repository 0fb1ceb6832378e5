/** Plugin options against the shape of their defaults: unknown keys and wrong types, named by path. */

export interface OptionProblem {
  /** Dotted option path, '' for the options object itself. */
  readonly option: string;
  readonly detail: string;
  /** The plugin's known options at that level, for an unknown key. */
  readonly known?: readonly string[];
}

export function checkOptions(defaults: unknown, options: unknown, path: string, problems: OptionProblem[]): void {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) return;
  if (typeof options !== 'object' || options === null) {
    problems.push({ option: path, detail: `must be an object, got ${JSON.stringify(options)}` });
    return;
  }
  const known = Object.keys(defaults);
  // An empty object default is an open record (a kit's pads by note): its entries are the plugin's validate()'s to judge.
  if (known.length === 0) return;
  for (const [key, value] of Object.entries(options)) {
    const name = path ? `${path}.${key}` : key;
    if (!(key in defaults)) {
      problems.push({ option: name, detail: `is not an option (options: ${known.join(', ')})`, known });
      continue;
    }
    const expected = (defaults as Record<string, unknown>)[key];
    // A number-or-string option (seconds or a note value, '8n') is the plugin's validate()'s to judge.
    const either = (typeof expected === 'number' || typeof expected === 'string') && (typeof value === 'number' || typeof value === 'string');
    if (typeof expected === 'number' && typeof value === 'number' && !Number.isFinite(value)) {
      problems.push({ option: name, detail: `must be a finite number, got ${JSON.stringify(value)}` });
    } else if (typeof expected !== typeof value && !either) {
      problems.push({ option: name, detail: `must be a ${typeof expected}, got ${JSON.stringify(value)}` });
    } else {
      checkOptions(expected, value, name, problems);
    }
  }
}

/**
 * A plugin's own range checks. Run even after shape problems (so every problem shows at
 * once); a validate() that trips over a value of the wrong shape counts as no answer then.
 */
export function pluginProblems(validate: ((options: never) => readonly string[]) | undefined, options: unknown, hadShapeProblems: boolean): readonly string[] {
  if (!validate) return [];
  try {
    return validate(options as never);
  } catch (error) {
    if (hadShapeProblems) return [];
    throw error;
  }
}
