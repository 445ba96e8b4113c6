import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function KbPermissionsPage() {
  return (
    <>
      <PageHeader title="KB permissions" />
      <Empty title="This page is being built" />
    </>
  );
}
