/**
 * The built-in answerer: no language model. It quotes whole sentences of the retrieved
 * passages that cover the question's terms, each with its passage's citation marker, and
 * says plainly that this is what it did, or that the passages do not contain an answer.
 *
 * Terms are search's own (`@lumikb/text-analysis`: stop words, stemming, identifiers kept
 * whole), weighted by how rare they are among the retrieved sentences (IDF), so that a
 * sentence matching only the common words of a question ("user") does not pass for one
 * that matches its specific words ("uid", "nobody").
 */
import { analyze } from '@lumikb/text-analysis';
import type { Passage } from '../types.ts';
import { cosine, hashEmbed, tokenize } from './embedder.ts';

export const EXTRACTIVE_NOTICE =
  "Extractive answer: LumiKB's built-in answerer quoted the most relevant sentences from the sources; no language model (LLM) was used.";

export const NO_PASSAGES_ANSWER =
  'I found no passages in the knowledge base that relate to this question, so I cannot answer it from the sources.';

/** How an answer that the passages do not contain begins (the rest says what was and was not found). */
export const NOT_CONTAINED_ANSWER = 'The documents do not contain an answer to this question';

/**
 * Share of the question's term weight a sentence (with the term or heading it belongs to)
 * must cover to be quoted. Below it, the answer says the documents do not contain one.
 */
export const RELEVANCE_THRESHOLD = 0.7;

const MAX_SENTENCES = 3;
/** A term only the previous sentence names counts this much (the sentence refers back to it). */
const CONTEXT_WEIGHT = 0.5;
/** Sentences within this much of the best one's coverage are quoted with it. */
const COVERAGE_MARGIN = 0.1;
/** A sentence this long is cut (it is most likely a table or a list run together). */
const MAX_SENTENCE_WORDS = 90;
/** A line of at most this many words, without closing punctuation, is a heading or a defined term. */
const HEADING_MAX_WORDS = 8;
const MIN_SENTENCE_WORDS = 3;

/**
 * Words that frame a question rather than name what it is about ("how often", "which
 * way", "what does X mean", "what is the refund policy"): an answer rarely repeats them,
 * so they weigh little.
 */
const FRAMING_WORDS =
  'often long many much far old big large soon frequently way kind sort type mean means meaning purpose explain ' +
  'describe tell define policy rule rules procedure information details get gets got need needs want know find ' +
  'give see say happen happens';

/** What a framing word weighs, as a share of the question's average specific term. */
const FRAMING_WEIGHT = 0.15;

/** Lines that are page furniture, not content: navigation, page numbers, running headers, contents pages. */
const FURNITURE: RegExp[] = [
  /^(?:table of )?contents$/i,
  /^(?:(?:next|prev|previous|up|home|top|back|index|contents|skip to (?:main )?content)\b[\s|·»«<>-]*)+$/i,
  /^[ivxlcdm]+$/i,
  /^(?:page\s+)?\d+(?:\s*(?:of|\/)\s*\d+)?$/i,
  /(?:\.\s?){4,}\s*\d*$/, // table-of-contents dot leaders
  /^(?:chapter|appendix|section)\b.{0,80}\s\d+$/i, // running header ending in a page number
  /^copyright\b|^©|\(c\) \d{4}/i,
  /^this page (?:was )?(?:last )?(?:generated|updated)\b/i,
];

/** Furniture and boilerplate are short lines; longer ones are content (and the patterns stay cheap). */
const MAX_FURNITURE_CHARS = 200;

/**
 * Boilerplate that programs and manuals repeat everywhere ("Report bugs to: …"): quoted
 * only when it answers the whole question (asked where to report bugs), never as filler.
 */

const BOILERPLATE: RegExp[] = [/^report bugs to\b/i, /^(?:[\w .-]+ )?home ?page:/i, /^general help using\b/i];

/** A sentence leaning on a term named before it ("runs as this user", "It had uid 37", "Used by …"). */
const DEICTIC = /\b(?:this|these|those|it|its|they|them|their|such|here|above)\b/i;

interface Unit {
  kind: 'heading' | 'text' | 'boilerplate' | 'code';
  text: string;
  /** A list item (its lead-in sentence, ending in a colon, is quoted with the items). */
  item?: boolean;
}

interface Sentence {
  text: string;
  /** The heading or defined term the sentence sits under in its passage, if any. */
  heading: string | undefined;
  citation: string;
  passage: number;
  position: number;
  terms: Set<string>;
  headingTerms: Set<string>;
  /** The previous sentence's terms, when this one refers back to it ("The main features of this library"). */
  contextTerms: Set<string>;
  boilerplate: boolean;
}

const wordCount = (s: string) => tokenize(s).length;
const normalise = (s: string) => s.replace(/\s+/g, ' ').trim();
/** Lines that differ only in their numbers (running headers with page numbers) are the same line. */
const lineKey = (s: string) => normalise(s).toLowerCase().replace(/\d+/g, '#');

function isFurniture(line: string, repeated: ReadonlySet<string>): boolean {
  const flat = normalise(line);
  if (flat === '' || flat.length > MAX_FURNITURE_CHARS) return false;
  if (FURNITURE.some((re) => re.test(flat))) return true;
  return repeated.has(lineKey(flat)) && !/[.!?]["'”)]?$/.test(flat);
}

/** A numbered section title ("2.1 ASN.1 syntax", "Chapter 2. Users and Groups") rather than a defined term. */
const SECTION_TITLE = /^(?:(?:chapter|appendix|section|part)\s+)?[\dA-Z](?:\.\d+)*\.?\s/i;

/** Lines of program text: braces, ASN.1/Pascal assignments, shell prompts, statements ending in a semicolon, synopses. */
const CODE = /[{}]|::=|:=|^\$ |^#include\b|;\s*$|^usage:\s/i;
/** Texinfo-style definition lines: "[Function] int asn1_read_node_value ( …". */
const SIGNATURE =
  /^\[(?:Function|Macro|Variable|Type|Data Type|Command|Method)\]\s+(?:.*?\s)?\**([\p{L}_][\w:.]*)\s*\(/u;
const PARAMETER = /^[\p{L}_][\w.-]*(?: [\p{L}_][\w.-]*){0,2} : \S/u;
/** A command-line option's line ("-s, --strict  use strict DER decoding"): an entry of its list. */
const OPTION = /^--?[\p{L}\d][\w-]*(?:[ ,=[]|$)/u;
const LIST_ITEM = /^(?:[-*•·▪◦]|\d+[.)])\s+/u;
const endsSentence = (s: string) => /[.!?:]["'”’)\]]?$/.test(s.trimEnd());

function isHeadingLine(line: string): boolean {
  const flat = normalise(line);
  const words = wordCount(flat);
  return (
    words > 0 &&
    words <= HEADING_MAX_WORDS &&
    !/[.!?,;:]["'”’]?$/.test(flat) &&
    !LIST_ITEM.test(flat) &&
    !OPTION.test(flat)
  );
}

/**
 * A passage as headings and paragraphs. A short line without closing punctuation that
 * starts a paragraph (the previous line ended a sentence) and is not continued in lower
 * case is a heading or a defined term (HTML `<dt>`, a PDF's section title); wrapped lines
 * of one paragraph are joined, and words hyphenated across lines are rejoined.
 */
function unitsOf(text: string, repeated: ReadonlySet<string>): Unit[] {
  const units: Unit[] = [];
  let paragraph = '';
  let item = false;
  const flush = () => {
    if (paragraph.trim()) units.push({ kind: 'text', text: normalise(paragraph), ...(item ? { item } : {}) });
    paragraph = '';
    item = false;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line.length <= MAX_FURNITURE_CHARS && BOILERPLATE.some((re) => re.test(line))) {
      flush();
      units.push({ kind: 'boilerplate', text: normalise(line) });
      continue;
    }
    if (line === '' || isFurniture(line, repeated)) {
      flush();
      continue;
    }
    const signature = line.length <= MAX_FURNITURE_CHARS ? SIGNATURE.exec(line) : null;
    if (signature) {
      // A reference manual's "[Function] int name (args…)": the name is what the next sentences describe.
      flush();
      units.push({ kind: 'heading', text: signature[1] ?? line });
      while (i + 1 < lines.length && !/\)\s*;?$/.test(lines[i]!.trim()) && !/^\s*$/.test(lines[i + 1]!)) i++;
      continue;
    }
    if (CODE.test(line)) {
      // Program text (ASN.1 modules, shell commands) is not quoted, nor taken for a heading.
      flush();
      units.push({ kind: 'code', text: line });
      continue;
    }
    const next = (lines[i + 1] ?? '').trim();
    const continued = /^[\p{Ll}(]/u.test(next) && !isFurniture(next, repeated);
    const startsParagraph = paragraph === '' || endsSentence(paragraph);
    const title = SECTION_TITLE.test(line) && isHeadingLine(line);
    // A chunk's first line in lower case is the end of a cut sentence, unless it stands alone.
    const cut = i === 0 && /^\p{Ll}/u.test(line) && next !== '';
    if (startsParagraph && isHeadingLine(line) && (title || !continued) && !cut) {
      flush();
      units.push({ kind: 'heading', text: normalise(line) });
      continue;
    }
    if (LIST_ITEM.test(line) || OPTION.test(line)) {
      flush();
      paragraph = line.replace(LIST_ITEM, '').replace(/\s{2,}/g, ' ');
      item = true;
      continue;
    }
    if (PARAMETER.test(line) && startsParagraph) {
      // "name : what it is" lines of a parameter list are one entry each.
      flush();
      units.push({ kind: 'text', text: normalise(line) });
      continue;
    }
    if (paragraph === '') paragraph = line;
    else if (/\p{L}-$/u.test(paragraph) && /^\p{Ll}/u.test(line)) paragraph = paragraph.slice(0, -1) + line;
    else paragraph += ` ${line}`;
  }
  flush();
  return units;
}

const SENTENCE_END = /(?<=[.!?。！？]["'”’)\]]?)\s+(?=["'“‘([]?[\p{Lu}\p{N}])/u;

/** Lines (numbers aside) that recur in three or more passages: running headers and footers. */
function repeatedLines(passages: readonly Passage[]): Set<string> {
  const seenIn = new Map<string, Set<number>>();
  passages.forEach((p, i) => {
    for (const line of p.text.split('\n')) {
      const flat = normalise(line);
      if (flat === '' || wordCount(flat) > 10) continue;
      const key = lineKey(flat);
      const held = seenIn.get(key) ?? new Set<number>();
      held.add(i);
      seenIn.set(key, held);
    }
  });
  // Overlapping chunks repeat a line in two neighbouring passages; furniture recurs more.
  return new Set([...seenIn].filter(([, where]) => where.size >= 3).map(([key]) => key));
}

function sentencesOf(passages: readonly Passage[], language: string): Sentence[] {
  const repeated = repeatedLines(passages);
  const seen = new Set<string>();
  const out: Sentence[] = [];
  passages.forEach((passage, p) => {
    const units = unitsOf(passage.text, repeated);
    // A chunk that starts inside a sentence (chunks overlap) starts with a fragment of it.
    const startsInside = /^\s*[\p{Ll},;)\]]/u.test(passage.text);
    const endsInside = !endsSentence(passage.text);
    let heading: string | undefined;
    let previous = new Set<string>();
    let position = 0;
    units.forEach((unit, u) => {
      if (unit.kind === 'heading' || unit.kind === 'code') {
        heading = unit.kind === 'heading' ? unit.text : undefined;
        previous = new Set();
        return;
      }
      const boilerplate = unit.kind === 'boilerplate';
      const parts = unit.text.split(SENTENCE_END);
      parts.forEach((raw, s) => {
        let text = raw.trim();
        if (s === parts.length - 1 && text.endsWith(':')) {
          // "The main features are:" says nothing without the list it introduces.
          const items: string[] = [];
          for (let k = u + 1; k < units.length && units[k]?.item; k++) items.push(units[k]!.text.replace(/[.;,]$/, ''));
          if (items.length > 0) text = `${text} ${items.join('; ')}.`;
        }
        if (u === 0 && s === 0 && startsInside) return;
        // Whole sentences only: a paragraph's unfinished end (a chunk cut inside it, a line of
        // a table) is not one; a lead-in ending in a colon is one only with its list.
        const last = s === parts.length - 1;
        if (last && !boilerplate && !unit.item && !endsSentence(text)) return;
        if (last && u === units.length - 1 && endsInside && !boilerplate) return;
        if (text.endsWith(':') && !boilerplate) return;
        if (wordCount(text) < MIN_SENTENCE_WORDS || (!boilerplate && isFurniture(text, repeated))) return;
        const terms = new Set(analyze(text, language));
        const contextTerms = DEICTIC.test(text) ? previous : new Set<string>();
        previous = terms;
        const key = text.toLowerCase();
        if (seen.has(key)) return;
        seen.add(key);
        out.push({
          text,
          heading,
          citation: passage.citation,
          passage: p,
          position: position++,
          terms,
          contextTerms,
          headingTerms: new Set(heading && !boilerplate ? analyze(heading, language) : []),
          boilerplate,
        });
      });
    });
  });
  return out;
}

function clip(sentence: string): string {
  const words = sentence.split(' ');
  return words.length > MAX_SENTENCE_WORDS ? `${words.slice(0, MAX_SENTENCE_WORDS).join(' ')} …` : sentence;
}

/** The question's terms, each with the word the asker used for it (to name it in a "not contained" answer). */
function questionTerms(question: string, language: string): Map<string, string> {
  const terms = new Map<string, string>();
  for (const word of question.normalize('NFKC').match(/[\p{L}\p{N}\p{M}]+(?:(?:::|[._\-'])[\p{L}\p{N}\p{M}]+)*/gu) ??
    []) {
    for (const term of analyze(word, language)) if (!terms.has(term)) terms.set(term, word);
  }
  return terms;
}

const quoteList = (words: string[], joiner: 'and' | 'or') => {
  const q = words.map((w) => `“${w}”`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} ${joiner} ${q.at(-1)}`;
};

/** Whether a sentence needs the term or heading it sits under to be understood. */
function needsHeading(sentence: Sentence, question: ReadonlyMap<string, string>): boolean {
  if (!sentence.heading || sentence.boilerplate) return false;
  const addsQuestionTerm = [...question.keys()].some((t) => sentence.headingTerms.has(t) && !sentence.terms.has(t));
  if (addsQuestionTerm) return true;
  if (SECTION_TITLE.test(sentence.heading)) return false;
  // "Tty devices … are owned by this group" names the devices, not the group: the term
  // is needed even when the sentence repeats its word.
  return DEICTIC.test(sentence.text) || /^(?:used|added|owned|needed|kept)\b/i.test(sentence.text);
}

export interface ExtractiveOptions {
  maxWords?: number;
  /** The analysis language of the KB (as search uses it); english by default. */
  language?: string;
}

/** The answer text for `question` from `passages` (empty passages → a clear "cannot answer"). */
export function extractiveAnswer(question: string, passages: readonly Passage[], options: ExtractiveOptions = {}) {
  if (passages.length === 0)
    return { text: `${NO_PASSAGES_ANSWER}\n\n${EXTRACTIVE_NOTICE}`, citations: [] as string[] };
  const language = options.language ?? 'english';
  const maxWords = options.maxWords ?? 220;
  const asked = questionTerms(question, language);
  const sentences = sentencesOf(passages, language);
  if (asked.size === 0) {
    return {
      text: `${NOT_CONTAINED_ANSWER}: it has no words specific enough to look for in them.\n\n${EXTRACTIVE_NOTICE}`,
      citations: [] as string[],
    };
  }

  // IDF over the retrieved sentences, as BM25 computes it over documents.
  const n = sentences.length;
  const framing = new Set(analyze(FRAMING_WORDS, language));
  const weight = new Map<string, number>();
  for (const term of asked.keys()) {
    const df = sentences.filter((s) => s.terms.has(term)).length;
    weight.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  // A term no retrieved sentence has weighs no more than the rarest one they do have: with
  // a handful of sentences its IDF would otherwise outweigh all the others together.
  const present = [...weight].filter(([t]) => sentences.some((s) => s.terms.has(t))).map(([, w]) => w);
  if (present.length > 0) {
    const cap = Math.max(...present);
    for (const [term, w] of weight) if (w > cap) weight.set(term, cap);
  }
  // A framing word weighs a fraction of an average specific term, however rare it is here.
  const specific = [...weight].filter(([t]) => !framing.has(t)).map(([, w]) => w);
  const typical = specific.length > 0 ? specific.reduce((a, b) => a + b, 0) / specific.length : 1;
  for (const term of weight.keys()) if (framing.has(term)) weight.set(term, FRAMING_WEIGHT * typical);
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const topScore = Math.max(...passages.map((p) => p.score ?? 0), 0);
  const scored = sentences.map((sentence) => {
    let covered = 0;
    let underMatchingHeading = false;
    for (const [term, w] of weight) {
      if (sentence.terms.has(term)) covered += w;
      else if (sentence.headingTerms.has(term)) {
        covered += w;
        underMatchingHeading = true;
      } else if (sentence.contextTerms.has(term)) covered += CONTEXT_WEIGHT * w;
    }
    const coverage = total > 0 ? covered / total : 0;
    const retrieval = topScore > 0 ? (passages[sentence.passage]?.score ?? 0) / topScore : 0;
    // Boilerplate counts only when it answers the whole question, and then after real sentences.
    if (sentence.boilerplate) return { sentence, coverage: coverage >= 0.99 ? coverage : 0, score: coverage - 0.05 };
    const heading = underMatchingHeading || [...weight.keys()].some((t) => sentence.headingTerms.has(t)) ? 0.02 : 0;
    return { sentence, coverage, score: coverage + heading + 0.03 * retrieval - 0.001 * sentence.position };
  });
  scored.sort((a, b) => b.score - a.score);

  const best = scored[0];
  if (!best || best.coverage < RELEVANCE_THRESHOLD) {
    // Say what was looked for and not found, in the asker's words.
    const key = [...asked].filter(([t]) => !framing.has(t));
    const nowhere = key.filter(([t]) => !sentences.some((s) => s.terms.has(t) || s.headingTerms.has(t)));
    const why =
      nowhere.length > 0
        ? `none of the passages found mentions ${quoteList(
            nowhere.map(([, w]) => w),
            'or',
          )}`
        : `no sentence of the passages found speaks of ${quoteList(
            key.map(([, w]) => w),
            'and',
          )} together`;
    return { text: `${NOT_CONTAINED_ANSWER}: ${why}.\n\n${EXTRACTIVE_NOTICE}`, citations: [] as string[] };
  }

  const chosen: typeof scored = [];
  let words = 0;
  const vectors = new Map<Sentence, number[]>();
  const vectorOf = (s: Sentence) => vectors.get(s) ?? vectors.set(s, hashEmbed(s.text)).get(s)!;
  for (const candidate of scored) {
    if (chosen.length >= MAX_SENTENCES) break;
    if (candidate.coverage < Math.max(RELEVANCE_THRESHOLD, best.coverage - COVERAGE_MARGIN)) break;
    if (chosen.some((c) => cosine(vectorOf(c.sentence), vectorOf(candidate.sentence)) > 0.9)) continue;
    const length = wordCount(candidate.sentence.text);
    if (chosen.length > 0 && words + length > maxWords) continue;
    chosen.push(candidate);
    words += length;
  }
  // Sentences of one passage are quoted together, in their order there, under one marker;
  // the passages in the order of their best sentence.
  const groups: { citation: string; passage: number; sentences: Sentence[] }[] = [];
  for (const { sentence } of chosen) {
    const group = groups.find((g) => g.passage === sentence.passage);
    if (group) group.sentences.push(sentence);
    else groups.push({ citation: sentence.citation, passage: sentence.passage, sentences: [sentence] });
  }
  const body = groups
    .map((group) => {
      let lastHeading: string | undefined;
      const texts = group.sentences
        .sort((a, b) => a.position - b.position)
        .map((sentence) => {
          const prefix = needsHeading(sentence, asked) && sentence.heading !== lastHeading;
          if (prefix) lastHeading = sentence.heading;
          return prefix ? `${sentence.heading}: ${clip(sentence.text)}` : clip(sentence.text);
        });
      return `${texts.join(' ')} ${group.citation}`;
    })
    .join(' ');
  return {
    text: `${body}\n\n${EXTRACTIVE_NOTICE}`,
    citations: [...new Set(chosen.map((c) => c.sentence.citation))],
  };
}

/** Splits text into streamable tokens (each word with its following whitespace). */
export function toTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
