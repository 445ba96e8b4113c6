/**
 * One's own account: display name, groups and level, password change (the current one
 * required; the other devices are signed out, this one stays) and the active sessions,
 * with "sign out the other sessions". Every change is audited by auth.
 */
import { type FormEvent, useState } from 'react';
import { api, call, type ResponseOf } from '../api/client.ts';
import { useMutation, useQuery } from '../api/hooks.ts';
import { keys } from '../api/keys.ts';
import { levelName, useSession, useUser } from '../app/session.tsx';
import { Button } from '../components/Button.tsx';
import { FieldRow, TextField } from '../components/Field.tsx';
import { formatDateTime, formatRelative } from '../components/format.ts';
import { Card, DefinitionList, PageHeader } from '../components/Layout.tsx';
import { ErrorBanner, QueryView } from '../components/States.tsx';
import { Table } from '../components/Table.tsx';
import { useToast } from '../components/Toast.tsx';

type SessionItem = ResponseOf<'/api/v1/auth/sessions', 'get'>['items'][number];

/** "Firefox on Linux" from a user agent, or the raw string when nothing is recognised. */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /curl\//.test(userAgent)
            ? 'curl'
            : undefined;
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined;
  if (!browser) return userAgent.slice(0, 60);
  return os ? `${browser} on ${os}` : browser;
}

function ProfileCard() {
  const user = useUser();
  const { reload } = useSession();
  const toast = useToast();
  const [name, setName] = useState(user.name);
  // The session (top bar, this card) holds the user: it is read again after the save.
  const save = useMutation(async () => call(api.PATCH('/api/v1/auth/me', { body: { name: name.trim() } })), {
    invalidates: [keys.admin.users.all],
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await save.run()) {
      await reload();
      toast.success('Name saved');
    }
  };
  return (
    <Card title="Profile">
      <form className="form" onSubmit={submit} noValidate>
        {save.error ? <ErrorBanner error={save.error} title="Could not save the name" /> : null}
        <DefinitionList items={[['Email', user.email]]} />
        <TextField label="Name" value={name} onChange={setName} maxLength={200} autoComplete="name" />
        <div>
          <Button type="submit" variant="primary" loading={save.pending} disabled={name.trim() === user.name}>
            Save name
          </Button>
        </div>
      </form>
    </Card>
  );
}

function AccessCard() {
  const user = useUser();
  return (
    <Card title="Groups and level">
      <DefinitionList
        items={[
          [
            'Permission level',
            <span key="level" data-testid="account-level">
              {levelName(user.permission_level)} ({user.permission_level})
            </span>,
          ],
          ['Member since', formatDateTime(user.created_at)],
        ]}
      />
      <ul className="account-groups" aria-label="Your groups">
        {user.groups.map((g) => (
          <li key={g.id}>
            <span>{g.name}</span> <span className="badge badge-neutral">{levelName(g.permission_level)}</span>
          </li>
        ))}
      </ul>
      <p className="muted">Only an administrator changes your groups.</p>
    </Card>
  );
}

function PasswordCard() {
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const mismatch = confirm.length > 0 && next !== confirm;
  const change = useMutation(
    async () => call(api.POST('/api/v1/auth/password', { body: { current_password: current, new_password: next } })),
    // The other sessions were signed out.
    { invalidates: [keys.auth.sessions] },
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    const done = await change.run();
    if (!done) return;
    setCurrent('');
    setNext('');
    setConfirm('');
    const others = done.sessions_ended;
    toast.success(
      `Password changed. ${others === 0 ? 'No other session was open.' : `${others} other session${others === 1 ? '' : 's'} signed out.`}`,
    );
  };
  return (
    <Card title="Password">
      <form className="form" onSubmit={submit} noValidate aria-label="Change password">
        {change.error ? <ErrorBanner error={change.error} title="Password not changed" /> : null}
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
          required
        />
        <FieldRow>
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={setNext}
            hint="At least 12 characters; not a common password."
            required
          />
          <TextField
            label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={setConfirm}
            error={mismatch ? 'The two new passwords differ' : undefined}
            required
          />
        </FieldRow>
        <p className="muted">Your other sessions are signed out; you stay signed in here.</p>
        <div>
          <Button
            type="submit"
            variant="primary"
            loading={change.pending}
            disabled={!current || !next || next !== confirm}
          >
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}

function SessionsCard() {
  const toast = useToast();
  const sessions = useQuery(keys.auth.sessions, () => call(api.GET('/api/v1/auth/sessions')));
  const endOthers = useMutation(async () => call(api.POST('/api/v1/auth/sessions/end-others', { body: {} })), {
    invalidates: [keys.auth.sessions],
  });
  const others = sessions.data?.items.filter((s) => !s.current).length ?? 0;
  return (
    <Card
      title="Active sessions"
      actions={
        <Button
          variant="danger"
          size="sm"
          loading={endOthers.pending}
          disabled={others === 0}
          onClick={async () => {
            const done = await endOthers.run();
            if (!done) return;
            toast.success(`${done.sessions_ended} other session${done.sessions_ended === 1 ? '' : 's'} signed out`);
          }}
        >
          Sign out other sessions
        </Button>
      }
    >
      {endOthers.error ? <ErrorBanner error={endOthers.error} title="Could not sign out the other sessions" /> : null}
      <QueryView query={sessions}>
        {(data) => (
          <Table<SessionItem>
            label="Active sessions"
            rows={data.items}
            rowKey={(s) => s.id}
            columns={[
              {
                key: 'device',
                header: 'Device',
                render: (s) => (
                  <span title={s.user_agent ?? undefined}>
                    {deviceOf(s.user_agent)}{' '}
                    {s.current ? <span className="badge badge-success">This session</span> : null}
                  </span>
                ),
              },
              { key: 'ip', header: 'Address', render: (s) => s.ip ?? '—', hideOnMobile: true },
              { key: 'started', header: 'Signed in', render: (s) => formatDateTime(s.started_at), hideOnMobile: true },
              { key: 'active', header: 'Last active', render: (s) => formatRelative(s.last_active_at) },
            ]}
          />
        )}
      </QueryView>
    </Card>
  );
}

export function AccountPage() {
  return (
    <div className="page account-page">
      <PageHeader title="Your account" description="Your name, password, access and the devices signed in." />
      <div className="account-grid">
        <ProfileCard />
        <AccessCard />
        <PasswordCard />
        <SessionsCard />
      </div>
    </div>
  );
}
