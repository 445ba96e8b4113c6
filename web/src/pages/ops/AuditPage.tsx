import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function AuditPage() {
  return (
    <>
      <PageHeader title="Audit log" />
      <Empty title="This page is being built" />
    </>
  );
}
