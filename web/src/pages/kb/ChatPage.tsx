import { PageHeader } from '../../components/Layout.tsx';
import { Empty } from '../../components/States.tsx';

export function ChatPage() {
  return (
    <>
      <PageHeader title="Chat" />
      <Empty title="This page is being built" />
    </>
  );
}
