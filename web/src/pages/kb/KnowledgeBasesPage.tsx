import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function KnowledgeBasesPage() {
  return (
    <>
      <PageHeader title="Knowledge bases" />
      <Empty title="This page is being built" />
    </>
  );
}
