import {
  DataTable, DateField, Edit, List, NumberInput, SaveButton, SimpleForm, TextField, TextInput, Toolbar, required,
  useRecordContext,
} from 'react-admin';

export const ConfigList = () => (
  <List pagination={false} exporter={false}>
    <DataTable bulkActionButtons={false} rowClick="edit">
      <DataTable.Col source="key" disableSort />
      <DataTable.Col source="value" disableSort />
      <DataTable.Col source="default" disableSort />
      <DataTable.Col source="description" disableSort />
      <DataTable.Col source="updated_at" label="Changed" disableSort>
        <DateField source="updated_at" showTime emptyText="never" />
      </DataTable.Col>
    </DataTable>
  </List>
);

// motd is text; every other key is a number, checked by the gateway (422 on a bad value).
function ValueInput() {
  const record = useRecordContext();
  return typeof record?.default === 'number'
    ? <NumberInput source="value" validate={required()} helperText={record.description} />
    : <TextInput source="value" validate={required()} helperText={record?.description} fullWidth />;
}

// Keys are changed, never deleted: the toolbar has no Delete button.
export const ConfigEdit = () => (
  <Edit mutationMode="pessimistic">
    <SimpleForm toolbar={<Toolbar><SaveButton /></Toolbar>}>
      <TextField source="key" />
      <ValueInput />
    </SimpleForm>
  </Edit>
);
