import { ValidationError } from '@tollgate/core';

/** What a local-files `pattern` may use; named in the 400 an old regular-expression setting gets. */
export const GLOB_SYNTAX = '`*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!abc]` one of (or none of) a set; matched against the file name, e.g. `*.csv.gz` or `cost-202?-*.csv`';

type Token = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; char: string } | { kind: 'set'; negate: boolean; ranges: [string, string][] };

/**
 * A file-name glob compiled to tokens and matched without regular expressions: the single-star backtracking below
 * revisits each name position at most once per star, so a match costs O(name × pattern) at worst, never the
 * exponential time a regex like `^(a+)+$` can take.
 */
export class FileNameGlob {
  private readonly tokens: Token[];

  constructor(readonly pattern: string) {
    this.tokens = parse(pattern);
  }

  /** Validates a setting, with a 400 naming `field` that explains the syntax (regex-looking patterns included). */
  static parseSetting(pattern: string, field = 'settings.pattern'): FileNameGlob {
    if (/[\^$()+|\\{}]/.test(pattern) || pattern.includes('.*')) {
      throw ValidationError.field(field, `'${pattern}' looks like a regular expression; patterns are globs now: ${GLOB_SYNTAX}`);
    }
    try {
      return new FileNameGlob(pattern);
    } catch (error) {
      throw ValidationError.field(field, `${(error as Error).message}; the glob syntax: ${GLOB_SYNTAX}`);
    }
  }

  matches(name: string): boolean {
    const t = this.tokens;
    let n = 0;
    let p = 0;
    let starP = -1;
    let starN = 0;
    while (n < name.length) {
      if (p < t.length && t[p].kind !== 'star' && matchOne(t[p], name[n])) {
        n++;
        p++;
      } else if (p < t.length && t[p].kind === 'star') {
        starP = p++;
        starN = n;
      } else if (starP >= 0) {
        p = starP + 1;
        n = ++starN;
      } else {
        return false;
      }
    }
    while (p < t.length && t[p].kind === 'star') p++;
    return p === t.length;
  }
}

function matchOne(token: Token, c: string): boolean {
  switch (token.kind) {
    case 'one':
      return true;
    case 'char':
      return token.char === c;
    case 'set': {
      const hit = token.ranges.some(([lo, hi]) => c >= lo && c <= hi);
      return token.negate ? !hit : hit;
    }
    default:
      return false;
  }
}

function parse(pattern: string): Token[] {
  if (pattern.length === 0 || pattern.length > 200) throw new Error('a pattern is 1 to 200 characters');
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new Error(`unclosed '[' at position ${i + 1}`);
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([body[j], body[j + 2]]);
          j += 2;
        } else ranges.push([body[j], body[j]]);
      }
      tokens.push({ kind: 'set', negate, ranges });
      i = close;
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}
