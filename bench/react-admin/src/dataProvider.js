import { fetchUtils, HttpError } from 'react-admin';
import { bearerToken } from './authProvider';
import { apiUrl } from './settings';

// The gateway answers 422 with FastAPI-style `detail: [{loc, msg}]`; react-admin
// shows `body.errors` beside the form fields, and the message in a notification.
function asHttpError(error) {
  const detail = error?.body?.detail;
  if (!(error instanceof HttpError) || detail == null) return error;
  const message = Array.isArray(detail) ? detail.map((d) => d.msg).join('; ') : String(detail);
  const errors = Array.isArray(detail)
    ? Object.fromEntries(detail.map((d) => [d.loc.at(-1), d.msg]))
    : undefined;
  return new HttpError(message, error.status, errors ? { errors } : error.body);
}

async function call(path, options = {}) {
  try {
    return await fetchUtils.fetchJson(`${apiUrl}${path}`, {
      ...options,
      user: { authenticated: true, token: `Bearer ${bearerToken()}` },
    });
  } catch (error) {
    throw asHttpError(error);
  }
}

const page = ({ page, perPage }) => ({ limit: String(perPage), offset: String((page - 1) * perPage) });

const configItem = (item) => ({ ...item, id: item.key });

async function listConfig() {
  const { json } = await call('/admin/config');
  return json.items.map(configItem);
}

/** Each resource's list: the gateway pages with limit/offset and reports the total. */
const lists = {
  players: ({ pagination, sort, filter }) => new URLSearchParams({
    ...page(pagination),
    ...(filter.search ? { search: filter.search } : {}),
    sort: sort.field === 'created_at' ? 'created_at' : 'username',
    order: sort.order === 'DESC' ? 'desc' : 'asc',
  }),
  snapshots: ({ pagination }) => new URLSearchParams(page(pagination)),
};

const unsupported = (what) => () => Promise.reject(new Error(`${what} is not offered by the Galaxy gateway`));

export const dataProvider = {
  async getList(resource, params) {
    if (resource === 'config') {
      const data = await listConfig();
      return { data, total: data.length };
    }
    const { json } = await call(`/admin/${resource}?${lists[resource](params)}`);
    return { data: json.items, total: json.total };
  },
  async getOne(resource, { id }) {
    if (resource === 'config') {
      const item = (await listConfig()).find((i) => i.id === id);
      if (!item) throw new HttpError(`No configuration key ${id}`, 404);
      return { data: item };
    }
    const { json } = await call(`/admin/${resource}/${encodeURIComponent(id)}`);
    return { data: json };
  },
  async getMany(resource, { ids }) {
    return { data: await Promise.all(ids.map(async (id) => (await dataProvider.getOne(resource, { id })).data)) };
  },
  async update(resource, { id, data }) {
    if (resource !== 'config') return unsupported(`Editing ${resource}`)();
    const { json } = await call(`/admin/config/${encodeURIComponent(id)}`, {
      method: 'PUT',
      body: JSON.stringify({ value: data.value }),
    });
    return { data: configItem(json) };
  },
  getManyReference: unsupported('Reference lists'),
  create: unsupported('Creating records'),
  updateMany: unsupported('Bulk updates'),
  delete: unsupported('Deleting records'),
  deleteMany: unsupported('Bulk deletes'),

  /** Not a CRUD resource: the overview polls it. */
  async gameStatus() {
    return (await call('/admin/game/status')).json;
  },
};
