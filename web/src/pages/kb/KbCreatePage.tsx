/**
 * 7-10 Create a knowledge base: name, the embedding and generation models among the
 * active ones (the platform defaults preselected, each model's facts shown on
 * selection), and optional parameter overrides. The server creates the vector
 * collection with the embedding model's dimensions and metric.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, type BodyOf, call } from '../../api/client.ts';
import { useInvalidate, useMutation } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { TextAreaField, TextField } from '../../components/Field.tsx';
import { Card, PageHeader } from '../../components/Layout.tsx';
import { ErrorBanner, QueryView } from '../../components/States.tsx';
import { useToast } from '../../components/Toast.tsx';
import { type ConfigOverrides, useAvailableModels } from './kbApi.ts';
import { ModelPicker } from './ModelPicker.tsx';
import {
  cleanOverrides,
  type OverrideErrors,
  OverridesFields,
  serverFieldErrors,
  validateOverrides,
} from './OverridesFields.tsx';

export function KbCreatePage() {
  const navigate = useNavigate();
  const toast = useToast();
  const models = useAvailableModels();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [embedding, setEmbedding] = useState('');
  const [generation, setGeneration] = useState('');
  const [overrides, setOverrides] = useState<ConfigOverrides>({});
  const [showOverrides, setShowOverrides] = useState(false);
  const [errors, setErrors] = useState<OverrideErrors & { name?: string; embedding?: string; generation?: string }>({});
  const invalidate = useInvalidate();
  const create = useMutation(
    (body: BodyOf<'/api/v1/knowledge-bases', 'post'>) => call(api.POST('/api/v1/knowledge-bases', { body })),
    {
      invalidates: changed.kb(),
      onSuccess: (kb) => {
        toast.success(`Created "${kb.name}" with its ${kb.dimensions}-dimension vector collection`);
        navigate(`/kbs/${kb.id}`);
      },
      onError: (err) => {
        const fieldErrors = serverFieldErrors(err.details);
        const field = (err.details as { field?: string } | undefined)?.field;
        if (field === 'embedding_model_id') Object.assign(fieldErrors, { embedding: err.message });
        if (field === 'generation_model_id') Object.assign(fieldErrors, { generation: err.message });
        if (Object.keys(fieldErrors).length > 0) setErrors(fieldErrors);
        if (Object.keys(serverFieldErrors(err.details)).length > 0) setShowOverrides(true);
        // A model may have been deactivated meanwhile: offer the models as they are now.
        void invalidate([keys.availableModels]);
      },
    },
  );

  // Preselect the defaults once the models arrive.
  useEffect(() => {
    const items = models.data?.items;
    if (!items) return;
    setEmbedding((v) => v || (items.find((m) => m.type === 'embedding' && m.is_default)?.id ?? ''));
    setGeneration((v) => v || (items.find((m) => m.type === 'generation' && m.is_default)?.id ?? ''));
  }, [models.data]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = {
      ...validateOverrides(overrides),
      ...(name.trim() ? {} : { name: 'Give the knowledge base a name' }),
      ...(embedding ? {} : { embedding: 'Choose an embedding model' }),
      ...(generation ? {} : { generation: 'Choose a generation model' }),
    };
    setErrors(found);
    if (Object.keys(found).length > 0) {
      if (Object.keys(validateOverrides(overrides)).length > 0) setShowOverrides(true);
      return;
    }
    const clean = cleanOverrides(overrides);
    void create.run({
      name: name.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      embedding_model_id: embedding,
      generation_model_id: generation,
      ...(Object.keys(clean).length > 0 ? { config_overrides: clean } : {}),
    });
  };

  return (
    <>
      <PageHeader
        title="New knowledge base"
        breadcrumb={[{ label: 'Knowledge bases', to: '/kbs' }]}
        description="The embedding model fixes the vector collection and cannot change once documents are added; the generation model can change at any time."
      />
      <QueryView query={models} loadingLabel="Loading the available models…">
        {(data) => (
          <form className="form kb-form" onSubmit={submit} noValidate aria-label="New knowledge base">
            {create.error ? <ErrorBanner error={create.error} title="The knowledge base was not created" /> : null}
            <Card title="About">
              <div className="stack">
                <TextField
                  label="Name"
                  value={name}
                  onChange={setName}
                  required
                  maxLength={200}
                  error={errors.name}
                  autoFocus
                />
                <TextAreaField
                  label="Description"
                  value={description}
                  onChange={setDescription}
                  rows={2}
                  maxLength={2000}
                  hint="What the documents are about; shown to everyone with access."
                />
              </div>
            </Card>
            <Card title="Models">
              {data.items.filter((m) => m.type === 'embedding').length === 0 ? (
                <p className="field-error">
                  No active embedding model is registered. An administrator must add or activate one under Admin ›
                  Models.
                </p>
              ) : null}
              <div className="grid-2">
                <ModelPicker
                  type="embedding"
                  models={data.items}
                  value={embedding}
                  onChange={setEmbedding}
                  error={errors.embedding}
                  hint="Turns text into vectors. Locked once the first document is added."
                />
                <ModelPicker
                  type="generation"
                  models={data.items}
                  value={generation}
                  onChange={setGeneration}
                  error={errors.generation}
                  hint="Writes chat answers from the retrieved passages. Can change later."
                />
              </div>
            </Card>
            <section className="card">
              <div className="card-header">
                <h2 className="card-title">Overrides</h2>
                <Button
                  size="sm"
                  variant="ghost"
                  aria-expanded={showOverrides}
                  aria-controls="kb-overrides"
                  onClick={() => setShowOverrides((s) => !s)}
                >
                  {showOverrides ? 'Hide overrides' : 'Show overrides'}
                </Button>
              </div>
              <div className="card-body" id="kb-overrides">
                {showOverrides ? (
                  <OverridesFields value={overrides} onChange={setOverrides} errors={errors} />
                ) : (
                  <p className="muted">
                    Optional: chunk size and overlap, passages per answer, similarity threshold, temperature, answer
                    length and system prompt. Empty fields use the platform defaults.
                  </p>
                )}
              </div>
            </section>
            <div className="form-actions">
              <Button onClick={() => navigate('/kbs')}>Cancel</Button>
              <Button type="submit" variant="primary" loading={create.pending}>
                Create knowledge base
              </Button>
            </div>
          </form>
        )}
      </QueryView>
    </>
  );
}
