import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function OperationsDashboardPage() {
  return (
    <>
      <PageHeader title="Operations" />
      <Empty title="This page is being built" />
    </>
  );
}
