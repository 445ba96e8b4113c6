import t from 'tap';
import { analyze, DEFAULT_LANGUAGE, isLanguage, LANGUAGES, MAX_TERM_LENGTH, termFrequencies } from '../src/index.ts';

t.test('identifiers stay searchable whole and by their parts', async (t) => {
  const terms = analyze('Error ASN1_SUCCESS from v2.3.1 in ffi_closure_alloc', 'english');
  for (const whole of ['asn1_success', 'v2.3.1', 'ffi_closure_alloc']) {
    t.ok(terms.includes(whole), `${whole} is a term`);
  }
  for (const part of ['asn1', 'success', 'ffi', 'alloc', 'v2']) {
    t.ok(terms.includes(part), `part ${part} is a term`);
  }
  // a query for the identifier and a query for a part both meet the document's terms
  t.ok(analyze('ffi_closure_alloc').every((q) => terms.includes(q)));
  t.ok(analyze('closure').every((q) => terms.includes(q)));
});

t.test('camelCase and :: identifiers yield their parts', async (t) => {
  const terms = analyze('call getUserName on std::vector', 'english');
  t.ok(terms.includes('getusername'));
  t.ok(terms.includes('user'));
  t.ok(terms.includes('std::vector'));
  t.ok(terms.includes('vector'));
});

t.test('english: stop words dropped, words stemmed, same at index and query time', async (t) => {
  t.same(analyze('The flows of the boundary layers', 'english'), ['flow', 'boundari', 'layer']);
  t.same(analyze('flow', 'english'), analyze('flows', 'english'));
  t.same(analyze('the of and is', 'english'), [], 'a stop-word-only text has no terms');
  t.same(analyze("don't", 'english'), [], 'a stop-word contraction is dropped');
  t.same(analyze("the user's manual", 'english'), ['user', 'manual']);
  t.same(analyze('', 'english'), []);
  t.same(analyze('  ... !!! ', 'english'), []);
});

t.test('sentence punctuation is not part of a token', async (t) => {
  t.same(analyze('pressure. Drag-', 'english'), ['pressur', 'drag']);
});

t.test('none: lowercase only', async (t) => {
  t.same(analyze('The Running Flows', 'none'), ['the', 'running', 'flows']);
});

t.test('every language stems and drops its own stop words', async (t) => {
  const samples: Record<string, [string, string]> = {
    french: ['les connexions', 'connexion'],
    german: ['die Verbindungen', 'Verbindung'],
    spanish: ['las conexiones', 'conexión'],
    italian: ['le connessioni', 'connessione'],
    portuguese: ['as conexões', 'conexão'],
    dutch: ['de verbindingen', 'verbinding'],
    swedish: ['och anslutningar', 'anslutning'],
    norwegian: ['og forbindelser', 'forbindelse'],
    danish: ['og forbindelser', 'forbindelse'],
    finnish: ['ja yhteydet', 'yhteys'],
    russian: ['и соединения', 'соединение'],
    english: ['the connections', 'connection'],
  };
  t.equal(LANGUAGES.length, 13, '12 languages and none');
  for (const lang of LANGUAGES) {
    if (lang === 'none') continue;
    const sample = samples[lang];
    t.ok(sample, `${lang} has a sample`);
    if (!sample) continue;
    const [text] = sample;
    const terms = analyze(text, lang);
    t.equal(terms.length, 1, `${lang}: the stop word is dropped (${terms.join(' ')})`);
  }
  t.equal(analyze('connections', 'english')[0], analyze('connection', 'english')[0]);
  t.equal(analyze('Verbindungen', 'german')[0], analyze('Verbindung', 'german')[0]);
  t.equal(analyze('maisons', 'french')[0], analyze('maison', 'french')[0]);
});

t.test('unknown language falls back to the default', async (t) => {
  t.equal(DEFAULT_LANGUAGE, 'english');
  t.notOk(isLanguage('klingon'));
  t.ok(isLanguage('none'));
  t.same(analyze('The flows', 'klingon'), analyze('The flows', 'english'));
});

t.test('bounded: over-long tokens are not emitted whole; maxTerms stops early', async (t) => {
  const long = `${'a'.repeat(MAX_TERM_LENGTH + 10)}_tail`;
  const terms = analyze(long, 'english');
  t.notOk(terms.some((x) => x.length > MAX_TERM_LENGTH));
  t.ok(terms.includes('tail'));
  t.equal(analyze('alpha beta gamma delta epsilon', 'english', { maxTerms: 2 }).length, 2);
});

t.test('termFrequencies counts occurrences and the document length', async (t) => {
  const { tf, length } = termFrequencies('wing flow wing wings', 'english');
  t.equal(tf.get('wing'), 3);
  t.equal(tf.get('flow'), 1);
  t.equal(length, 4);
});
