import {
  BooleanField, DataTable, DateField, List, SearchInput, Show, SimpleShowLayout, TextField,
} from 'react-admin';

const filters = [<SearchInput key="search" source="search" alwaysOn />];

export const PlayerList = () => (
  <List filters={filters} sort={{ field: 'username', order: 'ASC' }} perPage={25}>
    <DataTable bulkActionButtons={false} rowClick="show">
      <DataTable.Col source="username" />
      <DataTable.Col source="online" field={BooleanField} disableSort />
      <DataTable.Col source="ship_id" label="Ship" disableSort />
      <DataTable.Col source="created_at" label="Joined" field={DateField} />
    </DataTable>
  </List>
);

export const PlayerShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="id" />
      <TextField source="username" />
      <BooleanField source="online" />
      <TextField source="ship_id" label="Ship" emptyText="none" />
      <DateField source="created_at" label="Joined" showTime />
    </SimpleShowLayout>
  </Show>
);
