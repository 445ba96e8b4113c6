import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function KbStatsPage() {
  return (
    <>
      <PageHeader title="KB statistics" />
      <Empty title="This page is being built" />
    </>
  );
}
