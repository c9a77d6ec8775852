// The leak check every reliability test file makes at its end: the secret, every token, code and
// verifier the file used or was given must appear neither in the broker's output (its logs) nor in
// any answer, except a success's own tokens in that success.
//
// A run can hold tens of thousands of such values (the load test), so the search does not try each
// value in turn: values are indexed by their first PREFIX characters and the text is scanned once.

/** Values shorter than this are not remembered: they could occur by chance (a `userCode`, a short test input). */
export const MIN_SENSITIVE_LENGTH = 16;
const PREFIX = MIN_SENSITIVE_LENGTH;

interface Answer {
  readonly label: string;
  readonly text: string;
  readonly own: ReadonlySet<string>;
}

/** Members of a success that are credentials: the caller receives them, nobody else may. */
const ISSUED_MEMBERS = ['accessToken', 'refreshToken', 'idToken', 'deviceCode'] as const;

export class LeakWatch {
  readonly #sensitive = new Set<string>();
  readonly #answers: Answer[] = [];
  #index: Map<string, string[]> | undefined;

  /** Remembers secrets, codes, verifiers and tokens (non-strings and short strings are ignored). */
  remember(...values: unknown[]): void {
    for (const value of values) {
      if (typeof value === 'string' && value.length >= MIN_SENSITIVE_LENGTH && !this.#sensitive.has(value)) {
        this.#sensitive.add(value);
        this.#index = undefined;
      }
    }
  }

  /** How many values are being watched (a test asserts this is not trivially small). */
  get size(): number {
    return this.#sensitive.size;
  }

  /** How many answers were recorded. */
  get answers(): number {
    return this.#answers.length;
  }

  /**
   * Records an answer's body. The tokens a success carries are remembered, and allowed in that body
   * only. Returns the tokens it carried.
   */
  answer(label: string, status: number, text: string): string[] {
    const own: string[] = [];
    if (status === 200) {
      try {
        const body = JSON.parse(text) as Record<string, unknown>;
        for (const member of ISSUED_MEMBERS) if (typeof body[member] === 'string') own.push(body[member]);
      } catch {
        // Not JSON: nothing of its own (the caller's own checks report a malformed answer).
      }
    }
    this.remember(...own);
    this.#answers.push({ label, text, own: new Set(own) });
    return own;
  }

  /** Remembered values that occur in `text`. */
  findIn(text: string): string[] {
    const found = new Set<string>();
    const index = this.#buildIndex();
    for (let i = 0; i + PREFIX <= text.length; i++) {
      const candidates = index.get(text.slice(i, i + PREFIX));
      if (candidates === undefined) continue;
      for (const value of candidates) if (text.startsWith(value, i)) found.add(value);
    }
    return [...found];
  }

  /** Answers that carry a remembered value other than their own, as `label: value` lines. */
  leakingAnswers(): string[] {
    return this.#answers.flatMap(({ label, text, own }) =>
      this.findIn(text)
        .filter((value) => !own.has(value))
        .map((value) => `${label}: ${value}`),
    );
  }

  #buildIndex(): Map<string, string[]> {
    if (this.#index !== undefined) return this.#index;
    const index = new Map<string, string[]>();
    for (const value of this.#sensitive) {
      const key = value.slice(0, PREFIX);
      const list = index.get(key);
      if (list === undefined) index.set(key, [value]);
      else list.push(value);
    }
    this.#index = index;
    return index;
  }
}
