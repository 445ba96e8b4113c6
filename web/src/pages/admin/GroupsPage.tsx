/**
 * Groups and their permission levels. The three system groups (Users, Operators,
 * Administrators) are listed with a lock: they cannot be renamed, re-levelled or
 * deleted. Members are managed per group.
 */
import { type FormEvent, useState } from 'react';
import { type ApiError, api, call, type ResponseOf, toApiError } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { levelName } from '../../app/session.tsx';
import { Button } from '../../components/Button.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/Field.tsx';
import { formatRelative } from '../../components/format.ts';
import { PageHeader, Tooltip } from '../../components/Layout.tsx';
import { ConfirmModal, Modal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, Loading, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';

type Group = ResponseOf<'/api/v1/admin/groups', 'get'>['items'][number];

const LEVEL_OPTIONS = [
  { value: '1', label: 'User — knowledge bases, search, chat' },
  { value: '2', label: 'Operator — also the Operations pages' },
  { value: '3', label: 'Administrator — everything' },
];

export function GroupsPage() {
  const toast = useToast();
  const groups = useQuery(() => call(api.GET('/api/v1/admin/groups')), []);
  const [editing, setEditing] = useState<{ group?: Group } | undefined>();
  const [members, setMembers] = useState<Group | undefined>();
  const [deleting, setDeleting] = useState<Group | undefined>();
  const [deleteError, setDeleteError] = useState<ApiError | undefined>();
  const [deletePending, setDeletePending] = useState(false);

  const remove = async () => {
    if (!deleting) return;
    setDeletePending(true);
    setDeleteError(undefined);
    try {
      await call(api.DELETE('/api/v1/admin/groups/{id}', { params: { path: { id: deleting.id } } }));
      toast.success(`${deleting.name} deleted`);
      setDeleting(undefined);
      await groups.reload();
    } catch (e) {
      setDeleteError(toApiError(e));
    } finally {
      setDeletePending(false);
    }
  };

  const columns: Column<Group>[] = [
    {
      key: 'name',
      header: 'Group',
      render: (g) => (
        <span>
          <strong>{g.name}</strong>{' '}
          {g.is_system ? (
            <Tooltip content="A system group: it cannot be renamed, change level or be deleted.">
              <StatusBadge status="system" tone="info">
                System · protected
              </StatusBadge>
            </Tooltip>
          ) : null}
          {g.description ? <span className="cell-sub">{g.description}</span> : null}
        </span>
      ),
    },
    {
      key: 'level',
      header: 'Level',
      render: (g) => <span className="nowrap">{`${g.permission_level} · ${levelName(g.permission_level)}`}</span>,
    },
    { key: 'members', header: 'Members', align: 'right', render: (g) => g.member_count },
    { key: 'updated', header: 'Updated', hideOnMobile: true, render: (g) => formatRelative(g.updated_at) },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (g) => (
        <div className="cell-actions">
          <Button size="sm" onClick={() => setMembers(g)} aria-label={`Members of ${g.name}`}>
            Members
          </Button>
          <Button
            size="sm"
            onClick={() => setEditing({ group: g })}
            aria-label={`Edit ${g.name}`}
            title={g.is_system ? 'Only the description of a system group can change' : undefined}
          >
            Edit
          </Button>
          <Button
            size="sm"
            variant="ghost"
            disabled={g.is_system}
            title={g.is_system ? 'System groups cannot be deleted' : undefined}
            onClick={() => {
              setDeleteError(undefined);
              setDeleting(g);
            }}
            aria-label={`Delete ${g.name}`}
          >
            Delete
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Groups"
        description="Groups grant a permission level to their members; a user has the highest level of their groups."
        actions={
          <Button variant="primary" onClick={() => setEditing({})}>
            Add group
          </Button>
        }
      />
      <QueryView query={groups} loadingLabel="Loading groups…" isEmpty={(d) => d.items.length === 0}>
        {(d) => <Table label="Groups" columns={columns} rows={d.items} rowKey={(g) => g.id} />}
      </QueryView>
      {editing ? (
        <GroupForm
          group={editing.group}
          onClose={() => setEditing(undefined)}
          onSaved={(name) => {
            setEditing(undefined);
            toast.success(`${name} saved`);
            void groups.reload();
          }}
        />
      ) : null}
      {members ? (
        <MembersModal
          group={members}
          onClose={() => {
            setMembers(undefined);
            void groups.reload();
          }}
        />
      ) : null}
      <ConfirmModal
        open={deleting !== undefined}
        danger
        title={`Delete ${deleting?.name}?`}
        confirmLabel="Delete group"
        pending={deletePending}
        onConfirm={() => void remove()}
        onClose={() => setDeleting(undefined)}
      >
        {deleteError ? <ErrorBanner error={deleteError} title="The server refused" /> : null}
        <p>
          Its {deleting?.member_count ?? 0} members lose the {levelName(deleting?.permission_level ?? 1)} level it
          granted (they keep other groups). Knowledge-base grants to this group stop applying.
        </p>
      </ConfirmModal>
    </>
  );
}

function GroupForm({
  group,
  onClose,
  onSaved,
}: {
  group?: Group | undefined;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const editing = group !== undefined;
  const system = group?.is_system ?? false;
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [level, setLevel] = useState(String(group?.permission_level ?? 1));
  const [error, setError] = useState<ApiError | undefined>();
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      if (editing) {
        const body: { name?: string; description?: string; permission_level?: number } = {};
        if (name.trim() !== group.name) body.name = name.trim();
        if (description !== group.description) body.description = description;
        if (Number(level) !== group.permission_level) body.permission_level = Number(level);
        if (Object.keys(body).length > 0) {
          await call(api.PATCH('/api/v1/admin/groups/{id}', { params: { path: { id: group.id } }, body }));
        }
      } else {
        await call(
          api.POST('/api/v1/admin/groups', {
            body: { name: name.trim(), description, permission_level: Number(level) },
          }),
        );
      }
      onSaved(name.trim());
    } catch (err) {
      setError(toApiError(err));
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={editing ? `Edit ${group.name}` : 'Add a group'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="group-form" variant="primary" loading={saving}>
            {editing ? 'Save changes' : 'Add group'}
          </Button>
        </>
      }
    >
      <form id="group-form" className="form" onSubmit={submit} noValidate>
        {error ? <ErrorBanner error={error} title="Not saved" /> : null}
        {system ? (
          <p className="muted">A system group keeps its name and level; you can change its description.</p>
        ) : null}
        <TextField label="Name" value={name} onChange={setName} required maxLength={100} disabled={system} />
        <TextAreaField label="Description" value={description} onChange={setDescription} maxLength={1000} rows={3} />
        <SelectField
          label="Permission level"
          value={level}
          onChange={setLevel}
          options={LEVEL_OPTIONS}
          disabled={system}
        />
      </form>
    </Modal>
  );
}

function MembersModal({ group, onClose }: { group: Group; onClose: () => void }) {
  const toast = useToast();
  const members = useQuery(
    () =>
      call(
        api.GET('/api/v1/admin/groups/{id}/members', {
          params: { path: { id: group.id }, query: { limit: 200, offset: 0 } },
        }),
      ),
    [group.id],
  );
  const candidates = useQuery(
    () => call(api.GET('/api/v1/admin/users', { params: { query: { limit: 200, offset: 0, is_active: true } } })),
    [],
  );
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const memberIds = new Set((members.data?.items ?? []).map((m) => m.id));

  const act = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      toast.success(done);
      setAdding('');
      await members.reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open size="lg" title={`Members of ${group.name}`} onClose={onClose}>
      <div className="stack">
        {error ? <ErrorBanner error={error} title="The server refused" onDismiss={() => setError(undefined)} /> : null}
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            if (!adding) return;
            const user = candidates.data?.items.find((u) => u.id === adding);
            void act(
              () =>
                call(
                  api.POST('/api/v1/admin/groups/{id}/members', {
                    params: { path: { id: group.id } },
                    body: { user_id: adding },
                  }),
                ),
              `${user?.email ?? 'User'} added to ${group.name}`,
            );
          }}
        >
          <SelectField
            label="Add a member"
            value={adding}
            onChange={setAdding}
            placeholder="Choose a user"
            options={(candidates.data?.items ?? [])
              .filter((u) => !memberIds.has(u.id))
              .map((u) => ({ value: u.id, label: u.name ? `${u.name} <${u.email}>` : u.email }))}
          />
          <Button type="submit" variant="primary" disabled={!adding} loading={busy}>
            Add
          </Button>
        </form>
        {members.loading ? <Loading /> : null}
        <QueryView
          query={members}
          isEmpty={(d) => d.items.length === 0}
          empty={<Empty title="No members yet">Add users above.</Empty>}
        >
          {(d) => (
            <Table
              label={`Members of ${group.name}`}
              rows={d.items}
              rowKey={(m) => m.id}
              columns={[
                {
                  key: 'user',
                  header: 'User',
                  render: (m) => (
                    <span>
                      <strong>{m.name || m.email}</strong>
                      <span className="cell-sub">{m.email}</span>
                    </span>
                  ),
                },
                { key: 'level', header: 'Level', render: (m) => levelName(m.permission_level) },
                {
                  key: 'remove',
                  header: <span className="sr-only">Actions</span>,
                  align: 'right',
                  render: (m) => (
                    <Button
                      size="sm"
                      variant="ghost"
                      disabled={busy}
                      aria-label={`Remove ${m.email} from ${group.name}`}
                      onClick={() =>
                        void act(
                          () =>
                            call(
                              api.DELETE('/api/v1/admin/groups/{id}/members/{userId}', {
                                params: { path: { id: group.id, userId: m.id } },
                              }),
                            ),
                          `${m.email} removed from ${group.name}`,
                        )
                      }
                    >
                      Remove
                    </Button>
                  ),
                },
              ]}
            />
          )}
        </QueryView>
      </div>
    </Modal>
  );
}
