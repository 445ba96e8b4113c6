/**
 * Users: search and filter, create with groups, edit name/email and group membership,
 * reset a password, deactivate and reactivate. The server's refusals (last
 * administrator, weak password, email taken) are shown where they happen.
 */
import { type FormEvent, useState } from 'react';
import { api, call, type ResponseOf } from '../../api/client.ts';
import { useInvalidate, useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { levelName, useUser } from '../../app/session.tsx';
import { Button } from '../../components/Button.tsx';
import { CheckboxField, SelectField, TextField } from '../../components/Field.tsx';
import { formatRelative } from '../../components/format.ts';
import { PageHeader, Toolbar } from '../../components/Layout.tsx';
import { ConfirmModal, Modal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';

type User = ResponseOf<'/api/v1/admin/users', 'get'>['items'][number];
type Group = ResponseOf<'/api/v1/admin/groups', 'get'>['items'][number];

const PAGE = 50;
const USERS_GROUP = '00000000-0000-4000-8000-000000000001';

export function UsersPage() {
  const toast = useToast();
  const me = useUser();
  const [q, setQ] = useState('');
  const [active, setActive] = useState<'' | 'true' | 'false'>('');
  const [groupId, setGroupId] = useState('');
  const [offset, setOffset] = useState(0);
  const query = {
    limit: PAGE,
    offset,
    ...(q.trim() ? { q: q.trim() } : {}),
    ...(active ? { is_active: active === 'true' } : {}),
    ...(groupId ? { group_id: groupId } : {}),
  };
  const users = useQuery(
    keys.admin.users.list(query),
    () => call(api.GET('/api/v1/admin/users', { params: { query } })),
    { keepPrevious: true },
  );
  const groups = useQuery(keys.admin.groups.list, () => call(api.GET('/api/v1/admin/groups')));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | undefined>();
  const [resetting, setResetting] = useState<User | undefined>();
  const [toggling, setToggling] = useState<User | undefined>();

  const toggle = useMutation(
    async (user: User) => {
      const path = { params: { path: { id: user.id } } };
      if (user.is_active) await call(api.POST('/api/v1/admin/users/{id}/deactivate', path));
      else await call(api.POST('/api/v1/admin/users/{id}/reactivate', path));
    },
    {
      invalidates: changed.people(),
      onSuccess: (_, user) => {
        toast.success(`${user.email} ${user.is_active ? 'deactivated' : 'reactivated'}`);
        setToggling(undefined);
      },
    },
  );

  const columns: Column<User>[] = [
    {
      key: 'user',
      header: 'User',
      render: (u) => (
        <span>
          <strong>{u.name || u.email}</strong>
          {u.id === me.id ? <span className="muted"> (you)</span> : null}
          <span className="cell-sub">{u.email}</span>
        </span>
      ),
    },
    { key: 'level', header: 'Level', render: (u) => levelName(u.permission_level) },
    {
      key: 'groups',
      header: 'Groups',
      hideOnMobile: true,
      render: (u) =>
        u.groups.map((g) => (
          <span key={g.id} className="chip">
            {g.name}
          </span>
        )),
    },
    {
      key: 'status',
      header: 'Status',
      render: (u) => <StatusBadge status={u.is_active ? 'active' : 'deactivated'} />,
    },
    { key: 'login', header: 'Last sign-in', hideOnMobile: true, render: (u) => formatRelative(u.last_login_at) },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (u) => (
        <div className="cell-actions">
          <Button size="sm" onClick={() => setEditing(u)} aria-label={`Edit ${u.email}`}>
            Edit
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setResetting(u)} aria-label={`Reset password of ${u.email}`}>
            Reset password
          </Button>
          <Button
            size="sm"
            variant="ghost"
            onClick={() => {
              toggle.reset();
              setToggling(u);
            }}
            aria-label={`${u.is_active ? 'Deactivate' : 'Reactivate'} ${u.email}`}
          >
            {u.is_active ? 'Deactivate' : 'Reactivate'}
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Users"
        description="Everyone who can sign in. A user's level is the highest level of their groups."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Add user
          </Button>
        }
      />
      <Toolbar>
        <TextField
          label="Search"
          type="search"
          value={q}
          onChange={(v) => {
            setQ(v);
            setOffset(0);
          }}
          placeholder="Email or name"
        />
        <SelectField
          label="Status"
          value={active}
          onChange={(v) => {
            setActive(v as '' | 'true' | 'false');
            setOffset(0);
          }}
          options={[
            { value: '', label: 'Everyone' },
            { value: 'true', label: 'Active' },
            { value: 'false', label: 'Deactivated' },
          ]}
        />
        <SelectField
          label="Group"
          value={groupId}
          onChange={(v) => {
            setGroupId(v);
            setOffset(0);
          }}
          options={[
            { value: '', label: 'Any group' },
            ...(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name })),
          ]}
        />
      </Toolbar>
      <QueryView
        query={users}
        loadingLabel="Loading users…"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No user matches">Change the search or the filters.</Empty>}
      >
        {(d) => (
          <>
            <Table
              label="Users"
              columns={columns}
              rows={d.items}
              rowKey={(u) => u.id}
              rowClassName={(u) => (u.is_active ? undefined : 'row-muted')}
            />
            <div className="pager">
              <span>
                {d.offset + 1}–{d.offset + d.items.length} of {d.total}
              </span>
              <Button size="sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous
              </Button>
              <Button size="sm" disabled={offset + d.items.length >= d.total} onClick={() => setOffset(offset + PAGE)}>
                Next
              </Button>
            </div>
          </>
        )}
      </QueryView>

      {creating ? (
        <UserForm
          groups={groups.data?.items ?? []}
          onClose={() => setCreating(false)}
          onSaved={(u) => {
            setCreating(false);
            toast.success(`${u.email} can now sign in`);
          }}
        />
      ) : null}
      {editing ? (
        <UserForm
          user={editing}
          groups={groups.data?.items ?? []}
          onClose={() => setEditing(undefined)}
          onSaved={(u) => {
            setEditing(undefined);
            toast.success(`${u.email} saved`);
          }}
        />
      ) : null}
      {resetting ? <ResetPassword user={resetting} onClose={() => setResetting(undefined)} /> : null}
      <ConfirmModal
        open={toggling !== undefined}
        danger={toggling?.is_active}
        title={toggling?.is_active ? `Deactivate ${toggling.email}?` : `Reactivate ${toggling?.email}?`}
        confirmLabel={toggling?.is_active ? 'Deactivate' : 'Reactivate'}
        pending={toggle.pending}
        onConfirm={() => {
          if (toggling) void toggle.run(toggling);
        }}
        onClose={() => setToggling(undefined)}
      >
        {toggle.error ? <ErrorBanner error={toggle.error} title="The server refused" /> : null}
        <p>
          {toggling?.is_active
            ? 'They can no longer sign in, and every session they have ends now. Their knowledge bases and grants stay.'
            : 'They can sign in again with their password.'}
        </p>
      </ConfirmModal>
    </>
  );
}

function UserForm({
  user,
  groups,
  onClose,
  onSaved,
}: {
  user?: User;
  groups: Group[];
  onClose: () => void;
  onSaved: (user: { email: string }) => void;
}) {
  const editing = user !== undefined;
  const [email, setEmail] = useState(user?.email ?? '');
  const [name, setName] = useState(user?.name ?? '');
  const [password, setPassword] = useState('');
  const [memberOf, setMemberOf] = useState<Set<string>>(new Set(user?.groups.map((g) => g.id) ?? [USERS_GROUP]));
  const invalidate = useInvalidate();
  const save = useMutation(
    async (): Promise<{ email: string }> => {
      if (!editing) {
        return call(
          api.POST('/api/v1/admin/users', {
            body: {
              email: email.trim(),
              password,
              ...(name.trim() ? { name: name.trim() } : {}),
              group_ids: [...memberOf].filter((id) => id !== USERS_GROUP),
            },
          }),
        );
      }
      const patch: { email?: string; name?: string } = {};
      if (email.trim() !== user.email) patch.email = email.trim();
      if (name.trim() !== user.name) patch.name = name.trim();
      if (Object.keys(patch).length > 0) {
        await call(api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id: user.id } }, body: patch }));
      }
      const before = new Set(user.groups.map((g) => g.id));
      // Additions first: removing someone's last admin group before adding the new one could be refused.
      for (const id of memberOf) {
        if (!before.has(id)) {
          await call(
            api.POST('/api/v1/admin/groups/{id}/members', { params: { path: { id } }, body: { user_id: user.id } }),
          );
        }
      }
      for (const id of before) {
        if (!memberOf.has(id)) {
          await call(
            api.DELETE('/api/v1/admin/groups/{id}/members/{userId}', { params: { path: { id, userId: user.id } } }),
          );
        }
      }
      return { email: email.trim() };
    },
    {
      invalidates: changed.people(),
      onSuccess: onSaved,
      // An edit is several requests: the ones before a refusal did apply.
      onError: () => void invalidate(changed.people()),
    },
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };

  return (
    <Modal
      open
      title={editing ? `Edit ${user.email}` : 'Add a user'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="user-form" variant="primary" loading={save.pending}>
            {editing ? 'Save changes' : 'Add user'}
          </Button>
        </>
      }
    >
      <form id="user-form" className="form" onSubmit={submit} noValidate>
        {save.error ? <ErrorBanner error={save.error} title="Not saved" /> : null}
        <TextField label="Email" type="email" value={email} onChange={setEmail} required autoComplete="off" />
        <TextField label="Name" value={name} onChange={setName} maxLength={200} />
        {!editing ? (
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            required
            autoComplete="new-password"
            hint="At least 12 characters with a letter and a digit or symbol, not containing the email. Share it with the user securely."
          />
        ) : null}
        <fieldset className="fieldset">
          <legend>Groups</legend>
          {groups.map((g) => (
            <CheckboxField
              key={g.id}
              label={`${g.name} · ${levelName(g.permission_level)}`}
              hint={g.id === USERS_GROUP ? 'Everyone is a member of Users.' : g.description || undefined}
              checked={memberOf.has(g.id)}
              disabled={g.id === USERS_GROUP}
              onChange={(on) =>
                setMemberOf((s) => {
                  const next = new Set(s);
                  if (on) next.add(g.id);
                  else next.delete(g.id);
                  return next;
                })
              }
            />
          ))}
        </fieldset>
      </form>
    </Modal>
  );
}

function ResetPassword({ user, onClose }: { user: User; onClose: () => void }) {
  const toast = useToast();
  const [password, setPassword] = useState('');
  const reset = useMutation(
    () =>
      call(
        api.POST('/api/v1/admin/users/{id}/reset-password', { params: { path: { id: user.id } }, body: { password } }),
      ),
    {
      onSuccess: () => {
        toast.success(`New password set for ${user.email}; their sessions have ended`);
        onClose();
      },
    },
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void reset.run();
  };
  return (
    <Modal
      open
      title={`Reset the password of ${user.email}`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="reset-form" variant="primary" loading={reset.pending} disabled={!password}>
            Set password
          </Button>
        </>
      }
    >
      <form id="reset-form" className="form" onSubmit={submit} noValidate>
        {reset.error ? <ErrorBanner error={reset.error} title="Not changed" /> : null}
        <TextField
          label="New password"
          type="password"
          value={password}
          onChange={setPassword}
          required
          autoComplete="new-password"
          hint="Every session of this user ends; they sign in with the new password."
        />
      </form>
    </Modal>
  );
}
