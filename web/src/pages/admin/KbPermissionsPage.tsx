/**
 * Every grant on every knowledge base: who (a user or a group) may READ, WRITE or
 * ADMIN which KB. Grant, change and revoke; the server keeps one ADMIN per KB.
 */
import { type FormEvent, useState } from 'react';
import { api, call, type ResponseOf } from '../../api/client.ts';
import { useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField } from '../../components/Field.tsx';
import { formatRelative } from '../../components/format.ts';
import { PageHeader, Toolbar } from '../../components/Layout.tsx';
import { ConfirmModal, Modal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, QueryView } from '../../components/States.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';

type Grant = ResponseOf<'/api/v1/admin/kb-permissions', 'get'>['items'][number];
type Permission = Grant['permission'];
type PrincipalType = Grant['principal_type'];

const PERMISSIONS: { value: Permission; label: string }[] = [
  { value: 'READ', label: 'READ — search and chat' },
  { value: 'WRITE', label: 'WRITE — also upload and delete documents' },
  { value: 'ADMIN', label: 'ADMIN — also settings and grants' },
];

export function KbPermissionsPage() {
  const toast = useToast();
  const [kbId, setKbId] = useState('');
  const [principalType, setPrincipalType] = useState<'' | PrincipalType>('');
  const grantQuery = {
    limit: 500,
    offset: 0,
    ...(kbId ? { kb_id: kbId } : {}),
    ...(principalType ? { principal_type: principalType } : {}),
  };
  const grants = useQuery(
    keys.admin.grants.list(grantQuery),
    () => call(api.GET('/api/v1/admin/kb-permissions', { params: { query: grantQuery } })),
    { keepPrevious: true },
  );
  const kbs = useQuery(keys.kbs.list({ limit: 200, offset: 0 }), () =>
    call(api.GET('/api/v1/knowledge-bases', { params: { query: { limit: 200, offset: 0 } } })),
  );
  const users = useQuery(keys.admin.users.list({ limit: 200, offset: 0 }), () =>
    call(api.GET('/api/v1/admin/users', { params: { query: { limit: 200, offset: 0 } } })),
  );
  const groups = useQuery(keys.admin.groups.list, () => call(api.GET('/api/v1/admin/groups')));
  const [granting, setGranting] = useState(false);
  const [revoking, setRevoking] = useState<Grant | undefined>();

  const principalName = (g: Pick<Grant, 'principal_type' | 'principal_id'>) => {
    if (g.principal_type === 'group') {
      const group = groups.data?.items.find((x) => x.id === g.principal_id);
      return group ? group.name : `group ${g.principal_id.slice(0, 8)}…`;
    }
    const user = users.data?.items.find((x) => x.id === g.principal_id);
    return user ? (user.name ? `${user.name} <${user.email}>` : user.email) : `user ${g.principal_id.slice(0, 8)}…`;
  };
  const keyOf = (g: Grant) => `${g.kb_id}:${g.principal_type}:${g.principal_id}`;

  const change = useMutation(
    async (g: Grant, permission: Permission | null) => {
      const params = { path: { id: g.kb_id, principalType: g.principal_type, principalId: g.principal_id } };
      if (permission === null) {
        await call(api.DELETE('/api/v1/knowledge-bases/{id}/permissions/{principalType}/{principalId}', { params }));
      } else {
        await call(
          api.PUT('/api/v1/knowledge-bases/{id}/permissions/{principalType}/{principalId}', {
            params,
            body: { permission },
          }),
        );
      }
    },
    {
      invalidates: changed.grants(),
      onSuccess: (_, g, permission) => {
        if (permission === null) {
          toast.success(`${principalName(g)} no longer has access to ${g.kb_name}`);
          setRevoking(undefined);
        } else {
          toast.success(`${principalName(g)} now has ${permission} on ${g.kb_name}`);
        }
      },
      onError: () => setRevoking(undefined),
    },
  );
  /** The grant being changed, if any (its select is disabled meanwhile). */
  const [busy, setBusy] = useState<string | undefined>();
  const setPermission = async (g: Grant, permission: Permission | null) => {
    setBusy(keyOf(g));
    await change.run(g, permission);
    setBusy(undefined);
  };

  const columns: Column<Grant>[] = [
    { key: 'kb', header: 'Knowledge base', render: (g) => <strong>{g.kb_name}</strong> },
    {
      key: 'principal',
      header: 'Who',
      render: (g) => (
        <span>
          {principalName(g)}
          <span className="cell-sub">{g.principal_type === 'group' ? 'group' : 'user'}</span>
        </span>
      ),
    },
    {
      key: 'permission',
      header: 'Permission',
      render: (g) => (
        <select
          className="input select input-inline"
          aria-label={`Permission of ${principalName(g)} on ${g.kb_name}`}
          value={g.permission}
          disabled={busy === keyOf(g)}
          onChange={(e) => void setPermission(g, e.target.value as Permission)}
        >
          {PERMISSIONS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.value}
            </option>
          ))}
        </select>
      ),
    },
    { key: 'updated', header: 'Since', hideOnMobile: true, render: (g) => formatRelative(g.updated_at) },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (g) => (
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setRevoking(g)}
          aria-label={`Revoke ${principalName(g)} on ${g.kb_name}`}
        >
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="KB permissions"
        description="Who may read, write or administer each knowledge base. Administrators can open every knowledge base without a grant."
        actions={
          <Button variant="primary" onClick={() => setGranting(true)} disabled={!kbs.data}>
            Grant access
          </Button>
        }
      />
      {change.error ? <ErrorBanner error={change.error} title="The server refused" onDismiss={change.reset} /> : null}
      <Toolbar>
        <SelectField
          label="Knowledge base"
          value={kbId}
          onChange={setKbId}
          options={[
            { value: '', label: 'All knowledge bases' },
            ...(kbs.data?.items ?? []).map((k) => ({ value: k.id, label: k.name })),
          ]}
        />
        <SelectField
          label="Granted to"
          value={principalType}
          onChange={(v) => setPrincipalType(v as '' | PrincipalType)}
          options={[
            { value: '', label: 'Users and groups' },
            { value: 'user', label: 'Users' },
            { value: 'group', label: 'Groups' },
          ]}
        />
      </Toolbar>
      <QueryView
        query={grants}
        loadingLabel="Loading grants…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Empty title="No grants" action={<Button onClick={() => setGranting(true)}>Grant access</Button>}>
            Knowledge bases are private to their creator and administrators until access is granted.
          </Empty>
        }
      >
        {(d) => <Table label="Grants" columns={columns} rows={d.items} rowKey={keyOf} />}
      </QueryView>

      {granting ? (
        <GrantForm
          kbs={(kbs.data?.items ?? []).map((k) => ({ value: k.id, label: k.name }))}
          users={(users.data?.items ?? []).map((u) => ({
            value: u.id,
            label: u.name ? `${u.name} <${u.email}>` : u.email,
          }))}
          groups={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
          initialKb={kbId}
          onClose={() => setGranting(false)}
          onSaved={(message) => {
            setGranting(false);
            toast.success(message);
          }}
        />
      ) : null}
      <ConfirmModal
        open={revoking !== undefined}
        danger
        title="Revoke access?"
        confirmLabel="Revoke"
        pending={busy !== undefined}
        onConfirm={() => revoking && void setPermission(revoking, null)}
        onClose={() => setRevoking(undefined)}
      >
        <p>
          {revoking ? `${principalName(revoking)} loses ${revoking.permission} on ${revoking.kb_name}.` : null} Access
          through other grants (their groups, for example) stays.
        </p>
      </ConfirmModal>
    </>
  );
}

interface Opt {
  value: string;
  label: string;
}

function GrantForm({
  kbs,
  users,
  groups,
  initialKb,
  onClose,
  onSaved,
}: {
  kbs: Opt[];
  users: Opt[];
  groups: Opt[];
  initialKb: string;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const [kb, setKb] = useState(initialKb);
  const [type, setType] = useState<PrincipalType>('user');
  const [principal, setPrincipal] = useState('');
  const [permission, setPermission] = useState<Permission>('READ');
  const grant = useMutation(
    () =>
      call(
        api.PUT('/api/v1/knowledge-bases/{id}/permissions/{principalType}/{principalId}', {
          params: { path: { id: kb, principalType: type, principalId: principal } },
          body: { permission },
        }),
      ),
    {
      invalidates: changed.grants(),
      onSuccess: () => {
        const who = (type === 'user' ? users : groups).find((o) => o.value === principal)?.label ?? principal;
        const where = kbs.find((o) => o.value === kb)?.label ?? kb;
        onSaved(`${who} now has ${permission} on ${where}`);
      },
    },
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void grant.run();
  };

  return (
    <Modal
      open
      title="Grant access to a knowledge base"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            form="grant-form"
            variant="primary"
            loading={grant.pending}
            disabled={!kb || !principal}
          >
            Grant
          </Button>
        </>
      }
    >
      <form id="grant-form" className="form" onSubmit={submit} noValidate>
        {grant.error ? <ErrorBanner error={grant.error} title="Not granted" /> : null}
        <SelectField
          label="Knowledge base"
          value={kb}
          onChange={setKb}
          options={kbs}
          placeholder="Choose a knowledge base"
          required
        />
        <SelectField
          label="Grant to"
          value={type}
          onChange={(v) => {
            setType(v as PrincipalType);
            setPrincipal('');
          }}
          options={[
            { value: 'user', label: 'A user' },
            { value: 'group', label: 'A group' },
          ]}
        />
        <SelectField
          label={type === 'user' ? 'User' : 'Group'}
          value={principal}
          onChange={setPrincipal}
          options={type === 'user' ? users : groups}
          placeholder={type === 'user' ? 'Choose a user' : 'Choose a group'}
          required
        />
        <SelectField
          label="Permission"
          value={permission}
          onChange={(v) => setPermission(v as Permission)}
          options={PERMISSIONS}
          hint="An existing grant of the same user or group on this knowledge base is replaced."
        />
      </form>
    </Modal>
  );
}
