/**
 * 7-10 KB settings: name and description, the models (the embedding model locked with
 * the server's reason once the KB has documents; the generation model changeable at any
 * time, without reprocessing), the overrides, and deleting the KB. Everyone who can read
 * the KB sees the settings; changing them needs ADMIN on it.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useForget, useInvalidate, useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { TextAreaField, TextField } from '../../components/Field.tsx';
import { Card, DefinitionList, PageHeader } from '../../components/Layout.tsx';
import { ConfirmModal } from '../../components/Modal.tsx';
import { Banner, ErrorBanner, ErrorState, Loading } from '../../components/States.tsx';
import { useToast } from '../../components/Toast.tsx';
import {
  type AvailableModel,
  type ConfigOverrides,
  canKb,
  type Kb,
  type ModelConfig,
  useAvailableModels,
  useDocumentTitle,
} from './kbApi.ts';
import { ModelPicker } from './ModelPicker.tsx';
import {
  cleanOverrides,
  type OverrideErrors,
  OverridesFields,
  serverFieldErrors,
  validateOverrides,
} from './OverridesFields.tsx';

export function KbSettingsPage() {
  const { kbId = '' } = useParams();
  const kb = useQuery(keys.kbs.detail(kbId), () =>
    call(api.GET('/api/v1/knowledge-bases/{id}', { params: { path: { id: kbId } } })),
  );
  const config = useQuery(keys.kbs.modelConfig(kbId), () =>
    call(api.GET('/api/v1/knowledge-bases/{id}/model-config', { params: { path: { id: kbId } } })),
  );
  const models = useAvailableModels();
  useDocumentTitle(kb.data ? `Settings · ${kb.data.name}` : undefined);
  const crumbs = [
    { label: 'Knowledge bases', to: '/kbs' },
    ...(kb.data ? [{ label: kb.data.name, to: `/kbs/${kbId}` }] : []),
  ];
  const failed = kb.error ?? config.error ?? models.error;
  if (failed && !(kb.data && config.data && models.data)) {
    return (
      <>
        <PageHeader title="Settings" breadcrumb={crumbs} />
        <ErrorState error={failed} onRetry={() => void Promise.all([kb.reload(), config.reload(), models.reload()])} />
      </>
    );
  }
  if (!kb.data || !config.data || !models.data) return <Loading label="Loading the settings…" />;
  return (
    <>
      <PageHeader
        title={`Settings · ${kb.data.name}`}
        breadcrumb={crumbs}
        description="Models and parameters of this knowledge base."
        actions={
          <Link className="btn btn-secondary" to={`/kbs/${kb.data.id}/retrieval-test`}>
            Retrieval test
          </Link>
        }
      />
      {!canKb(kb.data.permission, 'ADMIN') ? (
        <Banner>
          You have {kb.data.permission} access: you can see these settings, but changing them needs ADMIN on this
          knowledge base.
        </Banner>
      ) : null}
      <div>
        <GeneralCard kb={kb.data} onSaved={kb.setData} />
        <ModelsCard kb={kb.data} config={config.data} models={models.data.items} onSaved={config.setData} />
        {canKb(kb.data.permission, 'ADMIN') ? <DangerCard kb={kb.data} /> : null}
      </div>
    </>
  );
}

function GeneralCard({ kb, onSaved }: { kb: Kb; onSaved: (kb: Kb) => void }) {
  const toast = useToast();
  const admin = canKb(kb.permission, 'ADMIN');
  const [name, setName] = useState(kb.name);
  const [description, setDescription] = useState(kb.description);
  const dirty = name !== kb.name || description !== kb.description;
  const saveKb = useMutation(
    (body: { name: string; description: string }) =>
      call(api.PATCH('/api/v1/knowledge-bases/{id}', { params: { path: { id: kb.id } }, body })),
    {
      // Every page showing the KB (list, header, pickers) refreshes.
      invalidates: changed.kb(),
      onSuccess: (next) => {
        onSaved(next);
        setName(next.name);
        setDescription(next.description);
        toast.success('Name and description saved');
      },
    },
  );

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      saveKb.reset();
      return;
    }
    void saveKb.run({ name: name.trim(), description });
  };

  return (
    <Card title="General">
      <form className="form" onSubmit={save} aria-label="General settings">
        {saveKb.error ? <ErrorBanner error={saveKb.error} title="Not saved" /> : null}
        <TextField
          label="Name"
          value={name}
          onChange={setName}
          required
          maxLength={200}
          disabled={!admin}
          error={name.trim() ? undefined : 'A name is required'}
        />
        <TextAreaField
          label="Description"
          value={description}
          onChange={setDescription}
          rows={2}
          maxLength={2000}
          disabled={!admin}
        />
        {admin ? (
          <div className="form-actions">
            <Button type="submit" variant="primary" loading={saveKb.pending} disabled={!dirty || !name.trim()}>
              Save name and description
            </Button>
          </div>
        ) : null}
      </form>
    </Card>
  );
}

function ModelsCard({
  kb,
  config,
  models,
  onSaved,
}: {
  kb: Kb;
  config: ModelConfig;
  models: AvailableModel[];
  onSaved: (config: ModelConfig) => void;
}) {
  const toast = useToast();
  const admin = canKb(kb.permission, 'ADMIN');
  const [embedding, setEmbedding] = useState(config.embedding_model_id);
  const [generation, setGeneration] = useState(config.generation_model_id);
  const [overrides, setOverrides] = useState<ConfigOverrides>(config.config_overrides);
  const [errors, setErrors] = useState<OverrideErrors>({});
  const [changes, setChanges] = useState<string[] | undefined>();
  const invalidate = useInvalidate();

  useEffect(() => {
    setEmbedding(config.embedding_model_id);
    setGeneration(config.generation_model_id);
    setOverrides(config.config_overrides);
  }, [config]);

  const lock = config.embedding_model_locked
    ? (config.lock_reason ??
      `The knowledge base has ${config.document_count} document${config.document_count === 1 ? '' : 's'}; their vectors were made by this model.`)
    : null;

  const saveConfig = useMutation(
    (body: { embedding_model_id?: string; generation_model_id: string; config_overrides: ConfigOverrides }) =>
      call(api.PUT('/api/v1/knowledge-bases/{id}/model-config', { params: { path: { id: kb.id } }, body })),
    {
      invalidates: changed.kb(),
      onSuccess: (next) => {
        const what: string[] = [];
        if (next.embedding_model_id !== config.embedding_model_id)
          what.push(
            `embedding model → ${next.embedding_model?.name ?? next.embedding_model_id} (collection recreated with ${next.dimensions} dimensions)`,
          );
        if (next.generation_model_id !== config.generation_model_id)
          what.push(`generation model → ${next.generation_model?.name ?? next.generation_model_id}`);
        if (JSON.stringify(next.config_overrides) !== JSON.stringify(config.config_overrides)) what.push('overrides');
        setChanges(what);
        onSaved(next);
        toast.success(what.length > 0 ? 'Model settings saved' : 'Nothing changed');
      },
      onError: (apiError) => {
        setErrors(serverFieldErrors(apiError.details));
        // Documents arrived meanwhile: show the lock as it is now.
        if (apiError.code === 'EMBEDDING_MODEL_LOCKED')
          void invalidate([keys.kbs.modelConfig(kb.id), keys.availableModels]);
      },
    },
  );

  const save = (e: FormEvent) => {
    e.preventDefault();
    const found = validateOverrides(overrides);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setChanges(undefined);
    void saveConfig.run({
      ...(embedding !== config.embedding_model_id ? { embedding_model_id: embedding } : {}),
      generation_model_id: generation,
      config_overrides: cleanOverrides(overrides),
    });
  };

  const effective = config.effective_config;
  return (
    <Card title="Models and parameters">
      <form className="form" onSubmit={save} aria-label="Model settings">
        {saveConfig.error ? <ErrorBanner error={saveConfig.error} title="Model settings not saved" /> : null}
        {changes && changes.length > 0 ? (
          <div className="banner banner-success" role="status" data-testid="model-config-saved">
            <div className="banner-body">
              <strong>Saved</strong>
              <span>
                Changed {changes.join('; ')}. It applies to the next answer and the next documents processed; existing
                documents are not reprocessed.
              </span>
            </div>
          </div>
        ) : null}
        {lock ? (
          <Banner tone="warning">
            <strong>The embedding model is locked.</strong> {lock}
          </Banner>
        ) : null}
        <div className="grid-2">
          <ModelPicker
            type="embedding"
            models={models}
            value={embedding}
            onChange={setEmbedding}
            current={config.embedding_model}
            locked={
              lock
                ? `The knowledge base has ${config.document_count} document${config.document_count === 1 ? '' : 's'}.`
                : admin
                  ? null
                  : 'Changing it needs ADMIN on this knowledge base.'
            }
            hint={
              lock
                ? undefined
                : 'The knowledge base is empty, so the embedding model can still change; its collection is recreated.'
            }
          />
          <ModelPicker
            type="generation"
            models={models}
            value={generation}
            onChange={setGeneration}
            current={config.generation_model}
            locked={admin ? null : 'Changing it needs ADMIN on this knowledge base.'}
            hint="Applies to the next chat answer; no reprocessing."
          />
        </div>
        <DefinitionList
          items={[
            [
              'Vector collection',
              <span key="c">{`${kb.collection} · ${config.dimensions} dimensions · ${config.distance_metric}`}</span>,
            ],
            ['Documents', config.document_count],
          ]}
        />
        <h3>Overrides</h3>
        <OverridesFields
          value={overrides}
          onChange={setOverrides}
          errors={errors}
          defaults={effective}
          disabled={!admin}
          models={models}
        />
        {admin ? (
          <div className="form-actions">
            <Button
              onClick={() => {
                setEmbedding(config.embedding_model_id);
                setGeneration(config.generation_model_id);
                setOverrides(config.config_overrides);
                setErrors({});
              }}
            >
              Reset
            </Button>
            <Button type="submit" variant="primary" loading={saveConfig.pending}>
              Save model settings
            </Button>
          </div>
        ) : null}
      </form>
    </Card>
  );
}

function DangerCard({ kb }: { kb: Kb }) {
  const navigate = useNavigate();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [tried, setTried] = useState(false);
  const forget = useForget();
  const removeKb = useMutation(
    () => call(api.DELETE('/api/v1/knowledge-bases/{id}', { params: { path: { id: kb.id } } })),
    {
      // Its own data is gone for good; every list that showed it refreshes.
      invalidates: [keys.kbs.lists, keys.admin.kbStats, keys.admin.grants.all, keys.conversations.all],
      onSuccess: () => {
        toast.success(`Deleted the knowledge base "${kb.name}"`);
        navigate('/kbs', { replace: true });
        forget(keys.kbs.detail(kb.id));
      },
    },
  );
  const remove = () => {
    setTried(true);
    if (typed !== kb.name) return;
    void removeKb.run();
  };
  return (
    <Card title="Delete this knowledge base" className="card-danger">
      <p>
        Deletes its {kb.documents.total} document{kb.documents.total === 1 ? '' : 's'}, their vectors, the collection
        and every access grant. This cannot be undone.
      </p>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete knowledge base
      </Button>
      <ConfirmModal
        open={open}
        title={`Delete "${kb.name}"?`}
        confirmLabel="Delete for good"
        danger
        pending={removeKb.pending}
        onConfirm={remove}
        onClose={() => {
          setOpen(false);
          setTyped('');
          setTried(false);
          removeKb.reset();
        }}
      >
        {removeKb.error ? <ErrorBanner error={removeKb.error} title="Not deleted" /> : null}
        <TextField
          label={`Type the name "${kb.name}" to confirm`}
          value={typed}
          onChange={setTyped}
          autoComplete="off"
          error={(typed || tried) && typed !== kb.name ? 'Type the exact name to delete' : undefined}
        />
      </ConfirmModal>
    </Card>
  );
}
