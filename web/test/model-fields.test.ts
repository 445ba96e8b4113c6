/**
 * The model form's pure logic (web/src/pages/admin/models/fields.ts): what it checks
 * before sending must agree with the server, and the body it builds decides whether an
 * edit keeps or resets a stored value, so a slip here silently changes a model.
 */
import t from 'tap';
import {
  type ConstraintSpec,
  type FieldSpec,
  initialValues,
  type ModelDetail,
  problemsByField,
  toBody,
  validate,
} from '../src/pages/admin/models/fields.ts';

const field = (spec: Partial<FieldSpec> & Pick<FieldSpec, 'key' | 'type'>): FieldSpec => ({
  label: spec.key,
  required: false,
  help: '',
  group: 'model',
  ...spec,
});

const fields: FieldSpec[] = [
  field({ key: 'model_id', type: 'string', label: 'Model', required: true, max_length: 20 }),
  field({ key: 'api_endpoint', type: 'url', label: 'Endpoint' }),
  field({ key: 'api_key', type: 'secret', label: 'API key', required: true }),
  field({ key: 'config.dimensions', type: 'integer', label: 'Dimensions', minimum: 1, maximum: 4096, default: 768 }),
  field({ key: 'config.batch_size', type: 'integer', label: 'Batch size', minimum: 1, maximum: 512 }),
  field({ key: 'config.tags', type: 'tags', label: 'Tags', maximum: 2, pattern: '^[a-z]+$' }),
  field({ key: 'config.temperature_range', type: 'range', label: 'Range', minimum: 0, maximum: 2 }),
];
const constraints: ConstraintSpec[] = [
  { kind: 'lte', left: 'config.batch_size', right: 'config.dimensions', message: 'Batch size exceeds dimensions' },
];
const creating = { editing: false, hasStoredKey: false };

t.test('a new model starts from the field defaults', async (t) => {
  t.same(initialValues(fields), {
    model_id: '',
    api_endpoint: '',
    api_key: '',
    'config.dimensions': 768,
    'config.batch_size': undefined,
    'config.tags': '',
    'config.temperature_range': [undefined, undefined],
  });
});

t.test('an edited model starts from its stored values, never its key', async (t) => {
  const stored = {
    model_id: 'nomic-embed-text',
    api_endpoint: null,
    config: { dimensions: 1024, tags: ['fast', 'local'], temperature_range: [0, 1] },
  } as unknown as ModelDetail;
  t.match(initialValues(fields, stored), {
    model_id: 'nomic-embed-text',
    api_endpoint: '',
    api_key: '',
    'config.dimensions': 1024,
    'config.tags': 'fast, local',
    'config.temperature_range': [0, 1],
  });
});

t.test('validation says what the server would, per field', async (t) => {
  const valid = {
    ...initialValues(fields),
    model_id: 'm',
    api_key: 'sk',
    'config.temperature_range': [0, 1],
  };
  t.same(validate(fields, constraints, valid, creating), {}, 'a valid form has no errors');
  t.same(validate(fields, constraints, { ...valid, model_id: '', api_key: '' }, creating), {
    model_id: 'Model is required',
    api_key: 'API key is required',
  });
  t.same(
    validate(fields, constraints, { ...valid, api_key: '' }, { editing: true, hasStoredKey: true }),
    {},
    'a blank key on edit keeps the stored one',
  );
  t.same(
    validate(
      fields,
      constraints,
      {
        ...valid,
        model_id: 'x'.repeat(21),
        api_endpoint: 'ftp://host',
        'config.dimensions': 1.5,
        'config.tags': 'a, b, c',
        'config.temperature_range': [1.5, 0.5],
      },
      creating,
    ),
    {
      model_id: 'Model is longer than 20 characters',
      api_endpoint: 'Endpoint must be an http(s) URL',
      'config.dimensions': 'Dimensions must be a whole number',
      'config.tags': 'At most 2 tags',
      'config.temperature_range': 'The lowest value must not exceed the highest',
    },
  );
  t.same(validate(fields, constraints, { ...valid, 'config.dimensions': 0 }, creating), {
    'config.dimensions': 'Dimensions must be at least 1',
  });
  t.same(validate(fields, constraints, { ...valid, 'config.tags': 'Bad!' }, creating), {
    'config.tags': 'Tags may use letters, digits, ".", "_" and "-"',
  });
  t.same(
    validate(fields, constraints, { ...valid, 'config.dimensions': 8, 'config.batch_size': 16 }, creating),
    { 'config.batch_size': 'Batch size exceeds dimensions' },
    'cross-field constraints',
  );
});

t.test('the body leaves blanks out on create, resets them on edit, and keeps a blank key', async (t) => {
  const values = {
    ...initialValues(fields),
    model_id: '  nomic  ',
    'config.tags': 'fast, , local',
    'config.batch_size': undefined,
  };
  t.same(toBody(fields, values, false), {
    model_id: 'nomic',
    config: { dimensions: 768, tags: ['fast', 'local'] },
  });
  t.same(toBody(fields, { ...values, 'config.tags': '' }, true), {
    model_id: 'nomic',
    api_endpoint: null,
    config: { dimensions: 768, batch_size: null, tags: null, temperature_range: null },
  });
  t.equal(toBody(fields, { ...values, api_key: 'sk-new' }, true).api_key, 'sk-new', 'a typed key is sent');
});

t.test('server problems land on the form field they name', async (t) => {
  t.same(
    problemsByField({
      problems: [
        { field: 'model_id', message: 'unknown model' },
        { field: 'dimensions', message: 'too large' },
        { field: 'config.batch_size', message: 'too small' },
        { message: 'no field' },
      ],
    }),
    { model_id: 'unknown model', 'config.dimensions': 'too large', 'config.batch_size': 'too small' },
  );
  t.same(problemsByField(undefined), {});
});
