import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function UsersPage() {
  return (
    <>
      <PageHeader title="Users" />
      <Empty title="This page is being built" />
    </>
  );
}
