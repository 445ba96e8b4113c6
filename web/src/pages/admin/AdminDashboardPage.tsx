import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function AdminDashboardPage() {
  return (
    <>
      <PageHeader title="Administration" />
      <Empty title="This page is being built" />
    </>
  );
}
