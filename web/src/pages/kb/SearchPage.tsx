import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function SearchPage() {
  return (
    <>
      <PageHeader title="Search" />
      <Empty title="This page is being built" />
    </>
  );
}
