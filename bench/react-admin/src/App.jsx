import { Admin, Resource } from 'react-admin';
import { BrowserRouter } from 'react-router';
import { authProvider } from './authProvider';
import { dataProvider } from './dataProvider';
import { Overview } from './Overview';
import { PlayerList, PlayerShow } from './players';
import { ConfigEdit, ConfigList } from './runtimeConfig';
import { SnapshotList } from './snapshots';

// Path URLs under /admin/, as the dashboard has (react-admin's default router is a
// hash router); nginx sends every /admin/ path to index.html.
export const App = () => (
  <BrowserRouter basename="/admin">
    <Admin
      title="Galaxy admin"
      dashboard={Overview}
      authProvider={authProvider}
      dataProvider={dataProvider}
      requireAuth
      disableTelemetry
    >
      <Resource name="players" list={PlayerList} show={PlayerShow} recordRepresentation="username" />
      <Resource name="snapshots" list={SnapshotList} />
      <Resource name="config" options={{ label: 'Runtime config' }} list={ConfigList} edit={ConfigEdit} />
    </Admin>
  </BrowserRouter>
);
