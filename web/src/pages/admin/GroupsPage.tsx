/**
 * Groups and their permission levels. The three system groups (Users, Operators,
 * Administrators) are listed with a lock: they cannot be renamed, re-levelled or
 * deleted. Members are managed per group.
 */
import { type FormEvent, useState } from 'react';
import { api, call, type ResponseOf } from '../../api/client.ts';
import { useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
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
  const groups = useQuery(keys.admin.groups.list, () => call(api.GET('/api/v1/admin/groups')));
  const [editing, setEditing] = useState<{ group?: Group } | undefined>();
  const [members, setMembers] = useState<Group | undefined>();
  const [deleting, setDeleting] = useState<Group | undefined>();
  const remove = useMutation(
    (group: Group) => call(api.DELETE('/api/v1/admin/groups/{id}', { params: { path: { id: group.id } } })),
    {
      invalidates: changed.people(),
      onSuccess: (_, group) => {
        toast.success(`${group.name} deleted`);
        setDeleting(undefined);
      },
    },
  );

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
              remove.reset();
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
          }}
        />
      ) : null}
      {members ? <MembersModal group={members} onClose={() => setMembers(undefined)} /> : null}
      <ConfirmModal
        open={deleting !== undefined}
        danger
        title={`Delete ${deleting?.name}?`}
        confirmLabel="Delete group"
        pending={remove.pending}
        onConfirm={() => {
          if (deleting) void remove.run(deleting);
        }}
        onClose={() => setDeleting(undefined)}
      >
        {remove.error ? <ErrorBanner error={remove.error} title="The server refused" /> : null}
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
  const save = useMutation(
    async () => {
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
    },
    { invalidates: changed.people(), onSuccess: () => onSaved(name.trim()) },
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };

  return (
    <Modal
      open
      title={editing ? `Edit ${group.name}` : 'Add a group'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="group-form" variant="primary" loading={save.pending}>
            {editing ? 'Save changes' : 'Add group'}
          </Button>
        </>
      }
    >
      <form id="group-form" className="form" onSubmit={submit} noValidate>
        {save.error ? <ErrorBanner error={save.error} title="Not saved" /> : null}
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
  const members = useQuery(keys.admin.groups.members(group.id), () =>
    call(
      api.GET('/api/v1/admin/groups/{id}/members', {
        params: { path: { id: group.id }, query: { limit: 200, offset: 0 } },
      }),
    ),
  );
  const candidates = useQuery(keys.admin.users.list({ limit: 200, offset: 0, is_active: true }), () =>
    call(api.GET('/api/v1/admin/users', { params: { query: { limit: 200, offset: 0, is_active: true } } })),
  );
  const [adding, setAdding] = useState('');
  const memberIds = new Set((members.data?.items ?? []).map((m) => m.id));
  // Adding or removing a member changes the member list, the group's count and the users' levels.
  const change = useMutation((work: () => Promise<unknown>, _done: string) => work(), {
    invalidates: changed.people(),
    onSuccess: (_, __, done) => {
      toast.success(done);
      setAdding('');
    },
  });
  const busy = change.pending;
  const act = (work: () => Promise<unknown>, done: string) => change.run(work, done);

  return (
    <Modal open size="lg" title={`Members of ${group.name}`} onClose={onClose}>
      <div className="stack">
        {change.error ? <ErrorBanner error={change.error} title="The server refused" onDismiss={change.reset} /> : null}
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
