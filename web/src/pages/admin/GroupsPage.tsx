import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function GroupsPage() {
  return (
    <>
      <PageHeader title="Groups" />
      <Empty title="This page is being built" />
    </>
  );
}
