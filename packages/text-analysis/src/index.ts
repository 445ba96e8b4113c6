/**
 * Text analysis for lexical (BM25) search.
 *
 * One function, `analyze(text, language)`, turns text into index terms. It is used for
 * documents at index time and for queries at search time, so both sides always agree.
 *
 * - Tokenising keeps identifiers whole: `ASN1_SUCCESS`, `v2.3.1`, `ffi_closure_alloc`,
 *   `std::vector`, `getUserName` are each one term (lowercased, not stemmed, never a stop
 *   word), and their parts (`asn1`, `success`, `ffi`, `closure`, `alloc`, `get`, `user`,
 *   `name`) are analysed as ordinary words, so a search for either form finds them.
 * - Ordinary words are lowercased, dropped when they are stop words of the language, and
 *   stemmed with the language's Snowball-style stemmer (`@orama/stemmers`, stop-word lists
 *   from `@orama/stopwords`). Language `none` lowercases only.
 */
import { stemmer as danishStemmer } from '@orama/stemmers/danish';
import { stemmer as dutchStemmer } from '@orama/stemmers/dutch';
import { stemmer as englishStemmer } from '@orama/stemmers/english';
import { stemmer as finnishStemmer } from '@orama/stemmers/finnish';
import { stemmer as frenchStemmer } from '@orama/stemmers/french';
import { stemmer as germanStemmer } from '@orama/stemmers/german';
import { stemmer as italianStemmer } from '@orama/stemmers/italian';
import { stemmer as norwegianStemmer } from '@orama/stemmers/norwegian';
import { stemmer as portugueseStemmer } from '@orama/stemmers/portuguese';
import { stemmer as russianStemmer } from '@orama/stemmers/russian';
import { stemmer as spanishStemmer } from '@orama/stemmers/spanish';
import { stemmer as swedishStemmer } from '@orama/stemmers/swedish';
import { stopwords as danishStop } from '@orama/stopwords/danish';
import { stopwords as dutchStop } from '@orama/stopwords/dutch';
import { stopwords as englishStop } from '@orama/stopwords/english';
import { stopwords as finnishStop } from '@orama/stopwords/finnish';
import { stopwords as frenchStop } from '@orama/stopwords/french';
import { stopwords as germanStop } from '@orama/stopwords/german';
import { stopwords as italianStop } from '@orama/stopwords/italian';
import { stopwords as norwegianStop } from '@orama/stopwords/norwegian';
import { stopwords as portugueseStop } from '@orama/stopwords/portuguese';
import { stopwords as russianStop } from '@orama/stopwords/russian';
import { stopwords as spanishStop } from '@orama/stopwords/spanish';
import { stopwords as swedishStop } from '@orama/stopwords/swedish';

/** The analysis languages a KB may choose; `none` = lowercase only (no stop words, no stemming). */
export const LANGUAGES = [
  'english',
  'french',
  'german',
  'spanish',
  'italian',
  'portuguese',
  'dutch',
  'swedish',
  'norwegian',
  'danish',
  'finnish',
  'russian',
  'none',
] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'english';

/** Terms longer than this (in UTF-16 units) are not emitted whole; their parts still are. */
export const MAX_TERM_LENGTH = 64;

interface LanguageRules {
  stem: (word: string) => string;
  stop: ReadonlySet<string>;
}

const RULES: Record<Exclude<Language, 'none'>, LanguageRules> = {
  english: { stem: englishStemmer, stop: new Set(englishStop) },
  french: { stem: frenchStemmer, stop: new Set(frenchStop) },
  german: { stem: germanStemmer, stop: new Set(germanStop) },
  spanish: { stem: spanishStemmer, stop: new Set(spanishStop) },
  italian: { stem: italianStemmer, stop: new Set(italianStop) },
  portuguese: { stem: portugueseStemmer, stop: new Set(portugueseStop) },
  dutch: { stem: dutchStemmer, stop: new Set(dutchStop) },
  swedish: { stem: swedishStemmer, stop: new Set(swedishStop) },
  norwegian: { stem: norwegianStemmer, stop: new Set(norwegianStop) },
  danish: { stem: danishStemmer, stop: new Set(danishStop) },
  finnish: { stem: finnishStemmer, stop: new Set(finnishStop) },
  russian: { stem: russianStemmer, stop: new Set(russianStop) },
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * A raw token: runs of letters/digits (with marks), optionally joined by `_`, `.`, `-`,
 * `::`, or an apostrophe inside a word. A joiner only counts between two word characters,
 * so a sentence's full stop or a trailing hyphen is not part of a token.
 */
const TOKEN = /[\p{L}\p{N}\p{M}]+(?:(?:::|[._\-'])[\p{L}\p{N}\p{M}]+)*/gu;
const IDENT_JOINER = /::|[._-]/;
const WORD_CHARS = /[\p{L}\p{N}\p{M}]+/gu;
/** camelCase / PascalCase / ACRONYMWord boundaries inside a run of letters and digits. */
const CAMEL_PART = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|[\p{L}\p{M}]+/gu;

function isCamelCase(raw: string): boolean {
  // a lower-case letter followed by an upper-case one (getUser, iPhone, XMLHttpRequest)
  return /\p{Ll}\p{Lu}/u.test(raw) || /\p{Lu}{2}\p{Ll}/u.test(raw);
}

export interface AnalyzeOptions {
  /** Stop after this many terms (bounds the work for huge inputs). */
  maxTerms?: number;
}

/**
 * Analyse `text` into index/query terms, in order, duplicates kept (term frequency is
 * the number of occurrences). Unknown languages fall back to the default (english).
 */
export function analyze(
  text: string,
  language: Language | string = DEFAULT_LANGUAGE,
  options: AnalyzeOptions = {},
): string[] {
  const lang: Language = isLanguage(language) ? language : DEFAULT_LANGUAGE;
  const rules = lang === 'none' ? undefined : RULES[lang];
  const maxTerms = options.maxTerms ?? Number.POSITIVE_INFINITY;
  const out: string[] = [];
  const word = (w: string): void => {
    if (w.length === 0 || w.length > MAX_TERM_LENGTH || out.length >= maxTerms) return;
    if (!rules) {
      out.push(w);
      return;
    }
    if (rules.stop.has(w)) return;
    const stemmed = rules.stem(w);
    out.push(stemmed.length > 0 ? stemmed : w);
  };
  const whole = (w: string): void => {
    if (w.length <= MAX_TERM_LENGTH && out.length < maxTerms) out.push(w);
  };

  for (const match of text.normalize('NFKC').matchAll(TOKEN)) {
    if (out.length >= maxTerms) break;
    const raw = match[0];
    const lower = raw.toLowerCase();
    if (IDENT_JOINER.test(raw)) {
      // an identifier: kept whole, then each part as an ordinary word
      whole(lower.replace(/'/g, ''));
      for (const piece of raw.matchAll(WORD_CHARS)) splitWord(piece[0]);
      continue;
    }
    if (raw.includes("'")) {
      // a contraction or possessive: a stop word whole ("don't", "it's"), else its pieces;
      // a one-letter piece after an apostrophe ("user's", "l'avion" keeps "avion") is noise
      if (rules?.stop.has(lower)) continue;
      const pieces = lower.split("'");
      pieces.forEach((p, i) => {
        if (i > 0 && p.length === 1) return;
        if (i === 0 && p.length === 1 && pieces.length > 1) return;
        word(p);
      });
      continue;
    }
    splitWord(raw);
  }
  return out;

  function splitWord(raw: string): void {
    if (isCamelCase(raw)) {
      whole(raw.toLowerCase());
      for (const part of raw.matchAll(CAMEL_PART)) word(part[0].toLowerCase());
      return;
    }
    word(raw.toLowerCase());
  }
}

/** Term frequencies of `text` and its length in terms (the BM25 document length). */
export function termFrequencies(
  text: string,
  language: Language | string = DEFAULT_LANGUAGE,
  options: AnalyzeOptions = {},
): { tf: Map<string, number>; length: number } {
  const terms = analyze(text, language, options);
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  return { tf, length: terms.length };
}
