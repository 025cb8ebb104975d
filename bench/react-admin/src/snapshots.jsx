import { DataTable, DateField, List, NumberField } from 'react-admin';

// The gateway lists snapshots newest first and sorts nothing else.
export const SnapshotList = () => (
  <List perPage={25} sort={{ field: 'created_at', order: 'DESC' }}>
    <DataTable bulkActionButtons={false} rowClick={false}>
      <DataTable.Col source="id" disableSort />
      <DataTable.Col source="tick_number" label="Tick" disableSort />
      <DataTable.Col source="game_time" field={DateField} disableSort />
      <DataTable.Col source="created_at" label="Taken" disableSort>
        <DateField source="created_at" showTime />
      </DataTable.Col>
      <DataTable.Col source="size_bytes" label="Size (bytes)" field={NumberField} disableSort />
    </DataTable>
  </List>
);
