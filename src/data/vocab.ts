/**
 * Token <-> id mapping. Id 0 is padding and id 1 the unknown token, because the
 * model graph masks id-0 positions and every later layer relies on that.
 * The vocabulary is serialised as a plain token list in id order (it goes into
 * the model's metadata and `artifact.json`), so ordering must be reproducible:
 * `build` breaks frequency ties by code-unit order, never by locale.
 */

export interface VocabularyBuildOptions {
  /** Tokens seen fewer times than this are left out (they encode as `<unk>`). Default 1. */
  minFreq?: number;
  /** Upper bound on the total size, the two special tokens included. */
  maxSize?: number;
}

export class Vocabulary {
  static readonly PAD = '<pad>';
  static readonly UNK = '<unk>';
  static readonly PAD_ID = 0;
  static readonly UNK_ID = 1;

  private readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  static build(tokenLists: Iterable<readonly string[]>, options: VocabularyBuildOptions = {}): Vocabulary {
    const minFreq = options.minFreq ?? 1;
    if (!Number.isInteger(minFreq) || minFreq < 1) {
      throw new RangeError(`Vocabulary.build: minFreq must be an integer >= 1, got ${minFreq}`);
    }
    const maxSize = options.maxSize;
    if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 2)) {
      throw new RangeError(`Vocabulary.build: maxSize must be an integer >= 2 (it counts <pad> and <unk>), got ${maxSize}`);
    }
    const counts = new Map<string, number>();
    for (const list of tokenLists) {
      for (const tok of list) {
        if (tok === Vocabulary.PAD || tok === Vocabulary.UNK) continue; // reserved, never counted
        counts.set(tok, (counts.get(tok) ?? 0) + 1);
      }
    }
    const ranked = [...counts.entries()]
      .filter(([, c]) => c >= minFreq)
      .sort(([ta, ca], [tb, cb]) => cb - ca || (ta < tb ? -1 : ta > tb ? 1 : 0))
      .map(([t]) => t);
    const room = maxSize === undefined ? ranked.length : maxSize - 2;
    return new Vocabulary([Vocabulary.PAD, Vocabulary.UNK, ...ranked.slice(0, room)]);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The token's id, or `UNK_ID` for a token not in the vocabulary. */
  idOf(token: string): number {
    return this.ids.get(token) ?? Vocabulary.UNK_ID;
  }

  tokenOf(id: number): string {
    const tok = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (tok === undefined) throw new RangeError(`Vocabulary.tokenOf: id ${id} is outside 0..${this.size - 1}`);
    return tok;
  }

  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.idOf(t));
  }

  decode(ids: readonly number[]): string[] {
    return ids.map((id) => this.tokenOf(id));
  }

  /** Tokens in id order; `Vocabulary.fromJSON(v.toJSON())` is an identical vocabulary. */
  toJSON(): string[] {
    return [...this.tokens];
  }

  static fromJSON(tokens: unknown): Vocabulary {
    if (!Array.isArray(tokens)) {
      throw new TypeError(`Vocabulary.fromJSON: expected an array of tokens, found ${describe(tokens)}`);
    }
    if (tokens[0] !== Vocabulary.PAD) {
      throw new Error(`Vocabulary.fromJSON: expected '${Vocabulary.PAD}' at id 0, found ${describe(tokens[0])}`);
    }
    if (tokens[1] !== Vocabulary.UNK) {
      throw new Error(`Vocabulary.fromJSON: expected '${Vocabulary.UNK}' at id 1, found ${describe(tokens[1])}`);
    }
    const seen = new Map<string, number>();
    tokens.forEach((t: unknown, i) => {
      if (typeof t !== 'string') {
        throw new TypeError(`Vocabulary.fromJSON: expected a string at id ${i}, found ${describe(t)}`);
      }
      const first = seen.get(t);
      if (first !== undefined) {
        throw new Error(`Vocabulary.fromJSON: duplicate token ${JSON.stringify(t)} at ids ${first} and ${i}`);
      }
      seen.set(t, i);
    });
    return new Vocabulary([...(tokens as string[])]);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v).slice(0, 40)}`;
}
