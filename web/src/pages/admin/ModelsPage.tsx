import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function ModelsPage() {
  return (
    <>
      <PageHeader title="Models" />
      <Empty title="This page is being built" />
    </>
  );
}
