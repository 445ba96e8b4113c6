import t from 'tap';
import {
  CitationRenumberer,
  cosine,
  EXTRACTIVE_NOTICE,
  extractiveAnswer,
  type GenerateChunk,
  hashEmbed,
  hashEmbedV2,
  type LlmModel,
  LlmRouter,
  LOCAL_EMBEDDING_MODEL,
  LOCAL_EMBEDDING_MODEL_V1,
  LOCAL_GENERATION_MODEL,
  NOT_CONTAINED_ANSWER,
  renumberCitations,
} from '../src/index.ts';

const embedding: LlmModel = {
  id: '00000000-0000-4000-8000-000000000001',
  type: 'embedding',
  provider: 'local',
  model_id: LOCAL_EMBEDDING_MODEL.model_id,
  api_endpoint: null,
  config: { dimensions: 384, batch_size: 64 },
};
const generation: LlmModel = {
  id: '00000000-0000-4000-8000-000000000002',
  type: 'generation',
  provider: 'local',
  model_id: LOCAL_GENERATION_MODEL.model_id,
  api_endpoint: null,
  config: {},
};

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

t.test('the hashing embedder is deterministic, L2-normalised and sized as asked', async (t) => {
  const text = 'Invoices are approved by the finance team within five working days.';
  const a = hashEmbed(text);
  const b = hashEmbed(text);
  t.same(a, b, 'same text, same vector');
  t.equal(a.length, 384);
  t.ok(Math.abs(norm(a) - 1) < 1e-9, 'unit length');
  t.equal(hashEmbed(text, 1024).length, 1024);
  t.ok(Math.abs(norm(hashEmbed('', 64)) - 1) < 1e-9, 'an empty text still gets a valid unit vector');
  t.ok(Math.abs(norm(hashEmbed('!!! ...', 64)) - 1) < 1e-9, 'punctuation only, too');
  // Accented words are words: they move the vector away from the empty text's, and the
  // accents are kept (résumé is not resume).
  t.notSame(hashEmbed('Résumé ÉCOLE', 32), hashEmbed('', 32), 'unicode words embed');
  t.same(hashEmbed('Résumé ÉCOLE', 32), hashEmbed('résumé école', 32), 'lowercased across unicode');
  t.notSame(hashEmbed('résumé', 32), hashEmbed('resume', 32), 'accents are not stripped');
  t.same(hashEmbed('The Cat'), hashEmbed('the cat'), 'lowercased');
  // A pinned value catches accidental changes to the hashing (stored vectors would all go stale).
  t.equal(
    hashEmbed('lumikb', 8)
      .map((x) => x.toFixed(4))
      .join(','),
    '0.1826,0.1826,0.1826,0.0000,0.1826,0.0000,-0.1826,-0.9129',
  );
});

t.test('similar texts are closer than unrelated ones', async (t) => {
  const query = hashEmbed('How do I reset my password?');
  const related = hashEmbed('To reset your password, open Settings and choose "Reset password".');
  const morph = hashEmbed('Password resetting is done from the settings page.');
  const unrelated = hashEmbed('The quarterly revenue grew by twelve percent in Europe.');
  t.ok(cosine(query, related) > cosine(query, unrelated) + 0.2, 'shared words count');
  t.ok(cosine(query, morph) > cosine(query, unrelated), 'character n-grams catch word forms');
  t.ok(cosine(query, unrelated) < 0.2, 'unrelated texts are near orthogonal');
});

t.test('v2 is the default built-in model, and v1 is unchanged for KBs embedded with it', async (t) => {
  t.equal(LOCAL_EMBEDDING_MODEL.model_id, 'lumikb-hash-embed-v2');
  t.equal(LOCAL_EMBEDDING_MODEL.dimensions, 1024);
  t.same(LOCAL_EMBEDDING_MODEL_V1, { model_id: 'lumikb-hash-embed-v1', dimensions: 384 });
  t.equal(hashEmbed('x').length, 384, "v1's default size is still 384");
  const text = 'Invoices are approved by the finance team within five working days.';
  const a = hashEmbedV2(text);
  t.same(a, hashEmbedV2(text), 'deterministic');
  t.equal(a.length, 1024);
  t.ok(Math.abs(norm(a) - 1) < 1e-9, 'unit length');
  t.equal(hashEmbedV2(text, 256).length, 256);
  t.ok(Math.abs(norm(hashEmbedV2('the of and', 64)) - 1) < 1e-9, 'stop words only: still a unit vector');
  t.notSame(hashEmbedV2(text, 384), hashEmbed(text, 384), 'a different function from v1 at the same size');
  // Pinned values: a change to either function would make every stored vector stale.
  t.equal(
    hashEmbedV2('lumikb', 8)
      .map((x) => x.toFixed(4))
      .join(','),
    '-0.6642,0.0000,-0.7320,-0.0678,0.0678,0.0678,-0.0678,-0.0678',
  );
});

t.test('v2 matches word forms through stems, ignores stop words, and dampens repetition', async (t) => {
  const query = hashEmbedV2('How do I reset my password?');
  const morph = hashEmbedV2('Password resetting is done from the settings page.');
  const unrelated = hashEmbedV2('The quarterly revenue grew by twelve percent in Europe.');
  t.ok(cosine(query, morph) > 0.5, `stemmed forms share features (cosine ${cosine(query, morph).toFixed(3)})`);
  t.ok(cosine(query, unrelated) < 0.15, 'unrelated texts are near orthogonal');
  t.ok(
    cosine(query, morph) >
      cosine(hashEmbed('How do I reset my password?'), hashEmbed('Password resetting is done from the settings page.')),
    'closer than v1 finds them',
  );
  // "the" and "of" are stop words: they change nothing.
  t.same(hashEmbedV2('flow of the boundary layer'), hashEmbedV2('flow boundary layer'));
  // Sublinear TF: a word said ten times does not outweigh another said once by ten.
  const repeated = hashEmbedV2(`${'shock '.repeat(10)} wing`);
  const shock = hashEmbedV2('shock');
  const wing = hashEmbedV2('wing');
  const ratio = cosine(repeated, shock) / cosine(repeated, wing);
  t.ok(ratio > 1.5 && ratio < 5, `tf 10 vs 1 weighs 1 + ln 10 ≈ 3.3 times, not 10 (ratio ${ratio.toFixed(2)})`);
  // Identifiers stay whole (as in the keyword index): the code finds itself.
  t.ok(cosine(hashEmbedV2('error ASN1_SUCCESS returned'), hashEmbedV2('ASN1_SUCCESS')) > 0.5);
});

// The embedder's speed is a figure, not an assertion: `pnpm bench ingestion` prints it
// (chunks/s of the built-in embedder alone) beside the pipeline's own rate.

t.test(
  'the extractive answer quotes the relevant sentences with their citations and says it is not an LLM',
  async (t) => {
    const passages = [
      {
        text: 'Our office is in Berlin. Expense reports must be submitted within 30 days of the purchase. Late reports need a manager approval.',
        citation: '[1]',
        score: 0.8,
      },
      { text: 'The cafeteria opens at 8 am. It serves vegetarian food daily.', citation: '[2]', score: 0.3 },
      { text: 'Receipts for expense reports are uploaded in the finance portal.', citation: '[3]', score: 0.6 },
    ];
    const answer = extractiveAnswer('When must expense reports be submitted?', passages);
    t.match(answer.text, /Expense reports must be submitted within 30 days of the purchase\. \[1\]/);
    t.notMatch(answer.text, /cafeteria/, 'irrelevant passages are left out');
    t.match(answer.text, EXTRACTIVE_NOTICE);
    t.match(answer.text, /no language model/);
    t.ok(answer.citations.includes('[1]'));

    const none = extractiveAnswer('What is the capital of France?', []);
    t.match(none.text, /no passages/i);
    t.match(none.text, EXTRACTIVE_NOTICE);

    const unrelated = extractiveAnswer('quantum chromodynamics lattice', [passages[1]!]);
    t.match(unrelated.text, /^The documents do not contain an answer to this question/);
    t.notMatch(unrelated.text, /cafeteria|\[2\]/, 'and quotes nothing');
  },
);

// Passages as the pipeline extracts and chunks them from two Debian manuals (see
// services/ingestion-worker/test/fixtures/ORIGIN.md): users-and-groups.html (HTML: each
// <dt> term a line of its own) and libtasn1.pdf (PDF: wrapped lines, running headers,
// "Report bugs to" footers). Chunks overlap, so each may start or end inside a sentence.
const USERS = [
  {
    text: 'logged-in operators via wall when it requires operator attention. This is a historical use, and new applications should not behave this way. (If nothing else, the group should be configurable.)\n\nlist\n\nMailing list archives and data are owned by this user and group. Some mailing list programs may run as this user as well.\n\nirc\n\nUsed by IRC daemons. A statically allocated user is needed only because of a bug in ircd: it setuid()s itself to a compiled-in user id on startup.\n\ngnats\n\nUsed by gnats. This had a statically allocated user and group for purely historical reasons (it could equally well use a dynamic system user and group). Since gnats has been removed from Debian, this user and group are no longer created by default; they had uid/gid 41.\n\nnobody, nogroup\n\nDaemons that need not own any files sometimes run as user nobody and group nogroup, although using a dedicated user is far preferable. Thus, no files on a system should be owned by this user or group.',
    citation: '[1]',
    score: 0.9,
  },
  {
    text: 'Daemons that need not own any files sometimes run as user nobody and group nogroup, although using a dedicated user is far preferable. Thus, no files on a system should be owned by this user or group.\n\n(Technically speaking, it does no harm for a file to be owned by group nogroup as long as the ownership confers no additional privileges, that is if the group and other permission bits are equal. However, this is sloppy practice and should be avoided.)\n\nIf root-squashing is in use over NFS, root access from the client is performed as user nobody on the server.\n\nmessagebus\n\nThe dbus daemon (dbus-daemon-1) runs as this user and group.\n\npostfix\n\nUsed by the postfix MTA.\n\ngdm\n\nGDM (GNOME Display Manager) runs as this user/group.\n\nsaned\n\nAdded by sane-utils, but appear to be unused.\n\nklog\n\nUsed by klogd, the kernel logger.\n\nsyslog\n\nUsed by syslog, the general purpose logger.\n\nOther groups have no associated user.\n\nadm',
    citation: '[2]',
    score: 0.8,
  },
];
const TASN1 = [
  {
    text: 'Chapter 3: Utilities  6\nReport bugs to: help-libtasn1@gnu.org\nGNU Libtasn1 home page: <https://www.gnu.org/software/libtasn1/>\nGeneral help using GNU software: <https://www.gnu.org/gethelp/>\nFor example, consider an ASN.1 definitions file as follows:\nMYPKIX1 { }\nDEFINITIONS IMPLICIT TAGS ::=\nBEGIN\nOtherStruct := SEQUENCE {\nx  INTEGER,\ny  CHOICE {\ny1 INTEGER,\ny2 OCTET STRING },\n}\nDss-Sig-Value ::= SEQUENCE {\nr  INTEGER,\ns  INTEGER,\nother  OtherStruct\nz  INTEGER OPTIONAL,\n}\nEND\nAnd a assignments file as follows:\ndp MYPKIX1.Dss-Sig-Value\nr 42\ns 47\nother.x 66\nother.y y1\nother.y.y1 15\nz (NULL)\nRunning the command below will generate a  assign.out  file, containing the DER en-\ncoding of  PKIX1.Dss-Sig-Value .\n$ asn1Coding pkix.asn assign.asn1\nIf the root element is of the  CHOICE  type, the assignment file may be like (using the\ntypes defined in  pkix.asn ):\nelt PKIX1Implicit88.GeneralName\n’’  dNSName\ndNSName example.org',
    citation: '[1]',
    score: 0.9,
  },
  {
    text: '5\n3 Utilities\n3.1 Invoking asn1Parser\nasn1Parser  reads a single file with ASN.1 definitions and generates a file with an array to\nuse with libtasn1 functions.\nUsage: asn1Parser [OPTION] FILE\nRead FILE with ASN.1 definitions and generate\na C array that is used with libtasn1 functions.\nMandatory arguments to long options are mandatory for short options too.\n-c, --check  checks the syntax only\n-o, --output=FILE  output file\n-n, --name=NAME  array name\n-h, --help  display this help and exit\n-v, --version  output version information and exit\nReport bugs to: help-libtasn1@gnu.org\nGNU Libtasn1 home page: <https://www.gnu.org/software/libtasn1/>\nGeneral help using GNU software: <https://www.gnu.org/gethelp/>\n3.2 Invoking asn1Coding\nasn1Coding  generates a DER encoding from a file with ASN.1 definitions and another one\nwith assignments.\nThe file with assignments must have this syntax:\nInstanceName  Asn1Definition\nnameString  value\nnameString  value\n...',
    citation: '[2]',
    score: 0.8,
  },
];
const answerOf = (text: string) => text.split('\n\n')[0]!;

t.test('asked what the passages do not say, the answerer says so instead of quoting a near miss', async (t) => {
  const nobody = extractiveAnswer('what is the uid of the nobody user', USERS);
  t.match(nobody.text, new RegExp(`^${NOT_CONTAINED_ANSWER}`), 'says plainly that the documents do not contain it');
  t.match(answerOf(nobody.text), /“uid”, “nobody” and “user” together/, 'and what it looked for');
  t.notMatch(nobody.text, /41|gnats|\[\d\]/, "gnats' uid is not passed off as nobody's, nothing is quoted");
  t.same(nobody.citations, []);

  const gnats = extractiveAnswer('What uid did the gnats user have?', USERS);
  t.match(answerOf(gnats.text), /they had uid\/gid 41\. \[1\]$/, 'the uid the passages do give is found');

  const mongolia = extractiveAnswer('What is the capital of Mongolia?', USERS);
  t.match(answerOf(mongolia.text), /none of the passages found mentions “capital” or “Mongolia”/);
});

t.test('a quoted sentence keeps the term it depends on', async (t) => {
  const dbus = extractiveAnswer('which user does the dbus daemon run as', USERS);
  t.equal(
    answerOf(dbus.text),
    'messagebus: The dbus daemon (dbus-daemon-1) runs as this user and group. [2]',
    '"runs as this user" is no answer without "messagebus"',
  );
  t.same(dbus.citations, ['[2]']);
  const tty = extractiveAnswer('Which group owns the tty devices?', [
    { text: 'tty\n\nTty devices and /dev/vcs* are owned by this group.', citation: '[1]' },
  ]);
  t.equal(answerOf(tty.text), 'tty: Tty devices and /dev/vcs* are owned by this group. [1]');
  const plain = extractiveAnswer('Who is the superuser?', [
    { text: 'root\n\nRoot is (typically) the superuser.', citation: '[1]' },
  ]);
  t.equal(
    answerOf(plain.text),
    'Root is (typically) the superuser. [1]',
    'a sentence that names its term stands alone',
  );
});

t.test('whole sentences, no page furniture', async (t) => {
  const coding = extractiveAnswer('What does asn1Coding generate?', TASN1);
  t.equal(
    answerOf(coding.text),
    'asn1Coding generates a DER encoding from a file with ASN.1 definitions and another one with assignments. [2]',
    'the sentence wrapped over two PDF lines is quoted whole, without its section title',
  );
  for (const q of [
    'What does asn1Coding generate?',
    'What does asn1Parser read?',
    'What is the DER encoding of PKIX1?',
  ]) {
    const text = answerOf(extractiveAnswer(q, TASN1).text);
    t.notMatch(text, /Report bugs|home page|General help|Chapter 3: Utilities|^5 /, `${q}: no furniture`);
  }
  // The chunk starts inside a sentence ("logged-in operators via wall …"): that fragment is never quoted.
  const operators = answerOf(extractiveAnswer('How are logged-in operators notified via wall?', USERS).text);
  t.notMatch(operators, /^logged-in operators via wall/, 'a chunk-cut fragment is not a sentence');
  const asked = answerOf(extractiveAnswer('Where do I report bugs in libtasn1?', TASN1).text);
  t.equal(asked, 'Report bugs to: help-libtasn1@gnu.org [1]', 'a footer is quoted when it is the whole answer');

  // The footer and the running header recur on every page: still not quoted, unless asked for.
  const pages = [
    ...TASN1,
    {
      text: 'Chapter 3: Utilities  7\nReport bugs to: help-libtasn1@gnu.org\nasn1Decoding  generates an ASN.1 structure from a file with ASN.1 definitions and a binary\nfile with a DER encoding.',
      citation: '[3]',
    },
  ];
  t.equal(
    answerOf(extractiveAnswer('What does asn1Decoding generate?', pages).text),
    'asn1Decoding generates an ASN.1 structure from a file with ASN.1 definitions and a binary file with a DER encoding. [3]',
  );
  t.equal(
    answerOf(extractiveAnswer('Where do I report bugs in libtasn1?', pages).text),
    'Report bugs to: help-libtasn1@gnu.org [1]',
  );

  const hyphen = extractiveAnswer('What does the assign.out file contain?', [
    {
      text: 'Running the command below will generate a assign.out file, containing the DER en-\ncoding of PKIX1.Dss-Sig-Value.\n$ asn1Coding pkix.asn assign.asn1',
      citation: '[1]',
    },
  ]);
  t.match(
    answerOf(hyphen.text),
    /containing the DER encoding of PKIX1\.Dss-Sig-Value\. \[1\]$/,
    'a word hyphenated across lines is rejoined',
  );
  t.notMatch(hyphen.text, /\$ asn1Coding/, 'program text is not quoted');
});

t.test('hostile passages (8,000-character lines that look like furniture) are answered at once', async (t) => {
  const lines = [
    `${'next  '.repeat(1_330)}x`,
    `${'. '.repeat(4_000)}x`,
    `[Function] ${'int a '.repeat(1_330)}`,
    `GNU ${'x '.repeat(4_000)}`,
  ];
  const passages = Array.from({ length: 8 }, (_, i) => ({ text: lines[i % lines.length]!, citation: `[${i + 1}]` }));
  const started = performance.now();
  const answer = extractiveAnswer('what is next in the index', passages);
  // Before furniture patterns were limited to short lines, these took seconds (backtracking).
  t.ok(performance.now() - started < 1_000, 'well under a second');
  t.match(answer.text, new RegExp(`^${NOT_CONTAINED_ANSWER}`));
});

t.test('citation markers are renumbered in order of first use, with no gaps', async (t) => {
  const renumber = new CitationRenumberer(5);
  const streamed = ['Quoted [', '4', '] first, then [2]. Again [4', ']', ' and [5, 2] [9] [', '1'].map((c) =>
    renumber.push(c),
  );
  streamed.push(renumber.end());
  t.equal(streamed.join(''), 'Quoted [1] first, then [2]. Again [1] and [3, 2] [9] [1');
  t.same(renumber.order, [4, 2, 5], 'the sources, in the order the answer first cites them');
  t.equal(streamed[1], '', 'a marker cut between two chunks waits for its end');

  // The answerer cites passages by their retrieval rank; renumbered, its first source is [1].
  const answer = extractiveAnswer('which user does the dbus daemon run as', [
    { text: 'The cafeteria opens at 8 am and serves vegetarian food daily.', citation: '[1]', score: 0.9 },
    { text: 'Invoices are approved by the finance team within five working days.', citation: '[2]', score: 0.8 },
    { ...USERS[1]!, citation: '[3]', score: 0.7 },
  ]);
  t.same(answer.citations, ['[3]']);
  const { text, order } = renumberCitations(answer.text, 3);
  t.same(order, [3]);
  t.match(text, /^messagebus: The dbus daemon \(dbus-daemon-1\) runs as this user and group\. \[1\]\n/);
});

t.test('the router runs local models in-process: embeddings in order, answers streamed as tokens', async (t) => {
  const router = new LlmRouter();
  const texts = Array.from({ length: 150 }, (_, i) => `chunk number ${i}`);
  const vectors = await router.embed(embedding, texts);
  t.equal(vectors.length, 150);
  t.same(vectors[42], hashEmbedV2('chunk number 42', 384), 'order preserved across batches');
  t.same(await router.embed(embedding, []), []);

  const custom = await router.embed({ ...embedding, config: { dimensions: 128 } }, ['x']);
  t.equal(custom[0]?.length, 128, 'config.dimensions decides the size');
  const v2 = await router.embed({ ...embedding, config: {} }, ['the new default']);
  t.equal(v2[0]?.length, 1024, 'v2 without config.dimensions: its own 1024');
  const v1 = await router.embed({ ...embedding, model_id: LOCAL_EMBEDDING_MODEL_V1.model_id, config: {} }, [
    'an old KB',
  ]);
  t.same(v1, [hashEmbed('an old KB', 384)], 'a v1 model still embeds with v1, 384 by default');

  const chunks: GenerateChunk[] = [];
  for await (const chunk of router.generate(generation, {
    messages: [{ role: 'user', content: 'How long is the warranty?' }],
    passages: [{ text: 'The warranty lasts two years from delivery.', citation: '[1]' }],
  })) {
    chunks.push(chunk);
  }
  const tokens = chunks.filter((c) => c.type === 'token');
  t.ok(tokens.length > 10, 'many tokens, not one blob');
  const text = tokens.map((c) => (c.type === 'token' ? c.text : '')).join('');
  t.match(text, /The warranty lasts two years from delivery\. \[1\]/);
  t.match(chunks.at(-1), { type: 'done', model_id: generation.id, fallback_used: false, finish_reason: 'stop' });

  const limited: GenerateChunk[] = [];
  for await (const chunk of router.generate(generation, {
    messages: [{ role: 'user', content: 'warranty?' }],
    passages: [{ text: 'The warranty lasts two years from delivery.', citation: '[1]' }],
    max_tokens: 3,
  })) {
    limited.push(chunk);
  }
  t.equal(limited.filter((c) => c.type === 'token').length, 3);
  t.match(limited.at(-1), { type: 'done', finish_reason: 'length' });
});

t.test('models of the wrong type are refused clearly', async (t) => {
  const router = new LlmRouter();
  await t.rejects(router.embed(generation, ['x']), { kind: 'bad_request', message: /not an embedding model/ });
  await t.rejects(async () => {
    for await (const _ of router.generate(embedding, { messages: [] })) {
      // nothing
    }
  }, /not a generation model/);
});
