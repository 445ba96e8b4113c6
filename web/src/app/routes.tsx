/**
 * Every page of the app in one table: its path, the level it needs, and where it sits
 * in the navigation. The router, the route guard and the menus are all derived from it,
 * so adding a page is one entry here (see docs/web.md).
 */
import { type ComponentType, lazy, type ReactNode } from 'react';
import { LEVEL, type Level } from './session.tsx';

/**
 * Each page is its own chunk, loaded when first opened (App wraps the routes in Suspense),
 * so the sign-in page does not download the admin pages.
 */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(async () => ({ default: (await load())[name] }));
}

const AccountPage = page(() => import('../pages/AccountPage.tsx'), 'AccountPage');
const AdminDashboardPage = page(() => import('../pages/admin/AdminDashboardPage.tsx'), 'AdminDashboardPage');
const ConfigPage = page(() => import('../pages/admin/ConfigPage.tsx'), 'ConfigPage');
const GroupsPage = page(() => import('../pages/admin/GroupsPage.tsx'), 'GroupsPage');
const KbPermissionsPage = page(() => import('../pages/admin/KbPermissionsPage.tsx'), 'KbPermissionsPage');
const ModelsPage = page(() => import('../pages/admin/ModelsPage.tsx'), 'ModelsPage');
const UsersPage = page(() => import('../pages/admin/UsersPage.tsx'), 'UsersPage');
const ChatPage = page(() => import('../pages/kb/ChatPage.tsx'), 'ChatPage');
const DocumentViewerPage = page(() => import('../pages/kb/DocumentViewerPage.tsx'), 'DocumentViewerPage');
const KbCreatePage = page(() => import('../pages/kb/KbCreatePage.tsx'), 'KbCreatePage');
const KbPage = page(() => import('../pages/kb/KbPage.tsx'), 'KbPage');
const KbSettingsPage = page(() => import('../pages/kb/KbSettingsPage.tsx'), 'KbSettingsPage');
const RetrievalTestPage = page(() => import('../pages/kb/RetrievalTestPage.tsx'), 'RetrievalTestPage');
const KnowledgeBasesPage = page(() => import('../pages/kb/KnowledgeBasesPage.tsx'), 'KnowledgeBasesPage');
const SearchPage = page(() => import('../pages/kb/SearchPage.tsx'), 'SearchPage');
const AuditPage = page(() => import('../pages/ops/AuditPage.tsx'), 'AuditPage');
const KbStatsPage = page(() => import('../pages/ops/KbStatsPage.tsx'), 'KbStatsPage');
const OperationsDashboardPage = page(
  () => import('../pages/ops/OperationsDashboardPage.tsx'),
  'OperationsDashboardPage',
);
const QueuePage = page(() => import('../pages/ops/QueuePage.tsx'), 'QueuePage');

export type MenuId = 'main' | 'operations' | 'admin';

export interface AppRoute {
  /** react-router path (may contain :params). */
  path: string;
  /** Lowest permission level that may open the page (1 user, 2 operator, 3 admin). */
  level: Level;
  /** Document title and default heading. */
  title: string;
  element: ReactNode;
  /** Listed in this menu when set (pages with :params are reached from other pages). */
  menu?: MenuId;
  /** Menu label when it differs from the title. */
  label?: string;
  /** Also highlight the menu entry for deeper paths (e.g. /kbs/:id under /kbs). */
  matchPrefix?: boolean;
}

export const MENUS: { id: MenuId; label: string; level: Level }[] = [
  { id: 'main', label: 'Workspace', level: LEVEL.user },
  { id: 'operations', label: 'Operations', level: LEVEL.operator },
  { id: 'admin', label: 'Admin', level: LEVEL.admin },
];

export const ROUTES: AppRoute[] = [
  // Workspace (every signed-in user). KB pages: see docs/web.md "Knowledge-base pages".
  {
    path: '/kbs',
    level: LEVEL.user,
    title: 'Knowledge bases',
    element: <KnowledgeBasesPage />,
    menu: 'main',
    matchPrefix: true,
  },
  { path: '/kbs/new', level: LEVEL.operator, title: 'New knowledge base', element: <KbCreatePage /> },
  { path: '/kbs/:kbId', level: LEVEL.user, title: 'Knowledge base', element: <KbPage /> },
  { path: '/kbs/:kbId/settings', level: LEVEL.user, title: 'Knowledge base settings', element: <KbSettingsPage /> },
  { path: '/kbs/:kbId/retrieval-test', level: LEVEL.user, title: 'Retrieval test', element: <RetrievalTestPage /> },
  { path: '/kbs/:kbId/documents/:docId', level: LEVEL.user, title: 'Document', element: <DocumentViewerPage /> },
  { path: '/search', level: LEVEL.user, title: 'Search', element: <SearchPage />, menu: 'main' },
  { path: '/chat', level: LEVEL.user, title: 'Chat', element: <ChatPage />, menu: 'main', matchPrefix: true },
  { path: '/chat/:conversationId', level: LEVEL.user, title: 'Chat', element: <ChatPage /> },
  // One's own account, reached from the user link in the top bar (any signed-in person).
  { path: '/account', level: LEVEL.signedIn, title: 'Your account', element: <AccountPage /> },

  // Operations (operators and administrators)
  {
    path: '/operations',
    level: LEVEL.operator,
    title: 'Operations',
    label: 'Dashboard',
    element: <OperationsDashboardPage />,
    menu: 'operations',
  },
  {
    path: '/operations/audit',
    level: LEVEL.operator,
    title: 'Audit log',
    label: 'Audit',
    element: <AuditPage />,
    menu: 'operations',
  },
  {
    path: '/operations/queue',
    level: LEVEL.operator,
    title: 'Processing queue',
    label: 'Queue',
    element: <QueuePage />,
    menu: 'operations',
  },
  {
    path: '/operations/kb-stats',
    level: LEVEL.operator,
    title: 'KB statistics',
    label: 'KB Stats',
    element: <KbStatsPage />,
    menu: 'operations',
  },

  // Admin (administrators)
  {
    path: '/admin',
    level: LEVEL.admin,
    title: 'Administration',
    label: 'Dashboard',
    element: <AdminDashboardPage />,
    menu: 'admin',
  },
  { path: '/admin/users', level: LEVEL.admin, title: 'Users', element: <UsersPage />, menu: 'admin' },
  { path: '/admin/groups', level: LEVEL.admin, title: 'Groups', element: <GroupsPage />, menu: 'admin' },
  {
    path: '/admin/kb-permissions',
    level: LEVEL.admin,
    title: 'KB permissions',
    label: 'KB Permissions',
    element: <KbPermissionsPage />,
    menu: 'admin',
  },
  {
    path: '/admin/config',
    level: LEVEL.admin,
    title: 'Configuration',
    label: 'Config',
    element: <ConfigPage />,
    menu: 'admin',
  },
  { path: '/admin/models', level: LEVEL.admin, title: 'Models', element: <ModelsPage />, menu: 'admin' },
];
