import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function ConfigPage() {
  return (
    <>
      <PageHeader title="Configuration" />
      <Empty title="This page is being built" />
    </>
  );
}
