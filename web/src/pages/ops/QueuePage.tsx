import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function QueuePage() {
  return (
    <>
      <PageHeader title="Processing queue" />
      <Empty title="This page is being built" />
    </>
  );
}
